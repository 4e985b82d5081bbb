/**
 * The kinds of profiler a spec's `profile:` section may name, in ONE table that the spec schema,
 * the trace plan, `--dry-run`'s program list and the preflight read: each kind's options (their
 * schema, defaults included), the program it runs, and which profiler variant of the registry
 * (src/profile/registry.ts, whose names the agent's messages accept) runs for the options given.
 * Adding a profiler: one module in src/profile/, one entry in the registry, one entry here (its
 * options' type beside it in src/model/spec-types.ts: the compiler fails until both exist), docs, a test.
 */
import { z } from "zod";
import type { ProfileKindName, ProfileOptions, SweepSpec } from "../model/spec-types.js";
import type { ProfileTarget } from "../profile/profiler.js";
import type { ProfilerKind } from "../profile/registry.js";
import { DEFAULT_CPU_HZ } from "../profile/cpu.js";
import { booleanSchema, expect, intSchema, oneOf } from "./spec/schema-parts.js";

/** What one `profile:` entry asks the traced pass to run. */
export interface KindPlan {
  /** The registry's variant. */
  variant: ProfilerKind;
  targets: ProfileTarget[];
  /** Extra profiler arguments (strace's `args`). */
  args: string[];
  /** `same`: the traced pass is the only pass (its rate is not the clean rate). */
  pass: "separate" | "same";
}

export interface ProfileKind<Options> {
  /** The options as written under `profile.<kind>`, with their defaults (its output is the resolved options). */
  schema: z.ZodType<Options>;
  /** The program it runs, for `--dry-run`. */
  program: string;
  /**
   * It counts syscalls (a traced pass runs one such profiler: two would perturb each other's
   * counts). Undefined: the kind is accepted in a spec but no profiler runs it yet (refused at preflight).
   */
  plan?: (options: Options) => KindPlan;
}

const targets = (target: "server" | "client" | "both"): ProfileTarget[] => (target === "both" ? ["server", "client"] : [target]);

const mapping = <Shape extends z.core.$ZodLooseShape>(shape: Shape) =>
  z.strictObject(shape, expect(`a mapping (${Object.keys(shape).join(", ")})`));

export const PROFILE_KINDS: { readonly [K in ProfileKindName]: ProfileKind<ProfileOptions[K]> } = {
  strace: {
    schema: mapping({
      target: oneOf(["server", "client", "both"]).default("server"),
      pass: oneOf(["separate", "same"]).default("separate"),
      attach: oneOf(["window", "launch"]).default("window"),
      args: z.array(z.string(expect("a string")), expect("a list of strings")).default([]),
    }),
    program: "strace",
    plan: (o) => ({
      variant: o.attach === "launch" ? "strace-launch" : "strace-window",
      targets: targets(o.target),
      args: o.args,
      pass: o.pass,
    }),
  },
  perf: {
    schema: mapping({ events: oneOf(["syscalls"]).default("syscalls") }),
    program: "perf",
    plan: () => ({ variant: "perf", targets: ["server"], args: [], pass: "separate" }),
  },
  bpf: {
    schema: mapping({
      target: oneOf(["server", "client", "both"]).default("server"),
      pass: oneOf(["separate", "same"]).default("separate"),
      time: booleanSchema.default(true),
    }),
    program: "bpftrace",
    plan: (o) => ({ variant: o.time ? "bpf" : "bpf-counts", targets: targets(o.target), args: [], pass: o.pass }),
  },
  cpu: {
    // On-CPU stack sampling (profile/cpu.ts): no syscall plan; it runs beside a syscall profiler in the traced pass (tracing.ts).
    schema: mapping({ hz: intSchema(1, 10_000).default(DEFAULT_CPU_HZ), target: oneOf(["server", "client"]).default("server") }),
    program: "perf",
  },
};

export const PROFILE_KIND_NAMES = Object.keys(PROFILE_KINDS) as ProfileKindName[];

/** The `profile:` section's schema: one optional entry per kind. */
export function profileSectionSchema() {
  const entries = Object.fromEntries(PROFILE_KIND_NAMES.map((name) => [name, PROFILE_KINDS[name].schema.optional()]));
  return z.strictObject(entries, expect(`a mapping (${PROFILE_KIND_NAMES.join(", ")})`)) as unknown as z.ZodType<
    Partial<ProfileOptions>,
    unknown
  >;
}

/** Each kind the spec names, with its options, in the table's order. */
export function namedKinds(spec: Pick<SweepSpec, "profile">): { name: ProfileKindName; options: ProfileOptions[ProfileKindName] }[] {
  return PROFILE_KIND_NAMES.flatMap((name) => {
    const options = spec.profile?.[name];
    return options ? [{ name, options }] : [];
  });
}

/** The plan of one named kind (undefined when no profiler runs it yet). */
export function kindPlan<K extends ProfileKindName>(name: K, options: ProfileOptions[K]): KindPlan | undefined {
  const kind: ProfileKind<ProfileOptions[K]> = PROFILE_KINDS[name];
  return kind.plan?.(options);
}
