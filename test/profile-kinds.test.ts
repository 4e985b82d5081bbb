/**
 * The one table of profiler kinds (src/sweep/profile-kinds.ts): the spec schema, the trace plan,
 * the program list and the agent's messages all read it, so a kind in the table is accepted by
 * each of them and a kind not in it by none.
 */
import { describe, expect, it } from "vitest";
import { parseSpecText } from "../src/sweep/spec.js";
import { PROFILE_KINDS, PROFILE_KIND_NAMES } from "../src/sweep/profile-kinds.js";
import { tracePlan, tracePlanProblem } from "../src/sweep/tracing.js";
import { resolvePrograms } from "../src/sweep/programs.js";
import { expandCells } from "../src/sweep/matrix.js";
import { PROFILERS, PROFILER_KINDS } from "../src/profile/registry.js";
import { checkAgentInput } from "../src/remote/messages.js";

const BASE = "matrix:\n  connections: [1]\nserver:\n  builtin: true\n";
const parse = (profile: string) =>
  parseSpecText(`${BASE}profile: ${profile}\n`, "sweeps/x.yaml", undefined, { cliEntry: "/x/main.js", cwd: "/base" });

describe("the profiler kinds' table", () => {
  it("every kind is a spec key whose empty mapping takes every default", () => {
    for (const name of PROFILE_KIND_NAMES) {
      const spec = parse(`{${name}: {}}`);
      expect(Object.keys(spec.profile ?? {}), name).toEqual([name]);
      expect(spec.profile?.[name], name).toEqual(PROFILE_KINDS[name].schema.parse({}));
    }
  });

  it("a kind not in the table is refused, naming the kinds there are", () => {
    expect(() => parse("{ebpf: {}}")).toThrow(/profile\.ebpf: unknown key/);
  });

  it("the trace plan takes the variant and targets from the table", () => {
    expect(tracePlan(parse("{strace: {attach: launch, target: both}}"))).toMatchObject({
      kind: "strace-launch",
      source: "strace",
      targets: ["server", "client"],
      from: "strace",
    });
    expect(tracePlan(parse("{perf: {}}"))).toMatchObject({ kind: "perf", targets: ["server"], pass: "separate", from: "perf" });
  });

  it("two syscall profilers in one profile section are refused, naming both", () => {
    const spec = parse("{strace: {}, perf: {}}");
    expect(tracePlanProblem(spec, tracePlan(spec))).toMatch(/use one of strace, perf, not several/);
  });

  it("cpu: {hz: 99} is a valid spec form: a traced pass with CPU sampling alone, no syscall profiler", () => {
    const spec = parse("{cpu: {hz: 99}}");
    expect(spec.profile).toEqual({ cpu: { hz: 99, target: "server" } });
    const plan = tracePlan(spec);
    expect(plan?.kind).toBeUndefined();
    expect(plan?.cpu).toEqual({ hz: 99, target: "server" });
    expect(tracePlanProblem(spec, plan)).toBeUndefined(); // perf can sample here (root)
  });

  it("bpf: {} takes every default and plans the timed variant; time: false the counting one", () => {
    const spec = parse("{bpf: {}}");
    expect(spec.profile).toEqual({ bpf: { target: "server", pass: "separate", time: true } });
    expect(tracePlan(spec)).toMatchObject({ kind: "bpf", source: "bpf", targets: ["server"], from: "bpf" });
    expect(tracePlan(parse("{bpf: {time: false, target: both}}"))).toMatchObject({ kind: "bpf-counts", targets: ["server", "client"] });
    expect(() => parse("{bpf: {time: yes}}")).toThrow(/profile\.bpf\.time: expected true or false/);
  });

  it("bpf and cpu together form one profile section: bpf counts syscalls and CPU stacks are sampled in the same traced pass", () => {
    const spec = parse("{bpf: {}, cpu: {hz: 99}}");
    expect(spec.profile).toEqual({ bpf: { target: "server", pass: "separate", time: true }, cpu: { hz: 99, target: "server" } });
    expect(tracePlan(spec)).toMatchObject({ kind: "bpf", from: "bpf", cpu: { hz: 99, target: "server" } });
    expect(tracePlanProblem(spec, tracePlan(spec))).toBeUndefined();
    expect(tracePlanProblem(parse("{bpf: {}, perf: {}}"), tracePlan(parse("{bpf: {}, perf: {}}")))).toMatch(
      /use one of perf, bpf, not several/,
    );
  });

  it("--dry-run lists each named kind's program", async () => {
    const spec = parse("{perf: {}}");
    const programs = await resolvePrograms(spec, expandCells(spec));
    expect(programs.filter((p) => p.role === "profiler").map((p) => p.program)).toEqual(["perf"]);
  });

  it("the agent accepts exactly the registry's variants, and every plan names one of them", () => {
    for (const kind of PROFILER_KINDS) {
      expect(checkAgentInput(JSON.stringify({ type: "hello", profiler: kind })).ok, kind).toBe(true);
    }
    expect(checkAgentInput(JSON.stringify({ type: "hello", profiler: "nope" })).ok).toBe(false);
    for (const name of PROFILE_KIND_NAMES) {
      const plan = PROFILE_KINDS[name].plan?.(PROFILE_KINDS[name].schema.parse({}) as never);
      if (plan) expect(Object.keys(PROFILERS), name).toContain(plan.variant);
    }
  });
});
