/**
 * The run's one redactor (src/untrusted/redact.ts), built from the spec's environments and command
 * lines, the environment tcpsweep's children inherit (process.env) and the spec's `redact:` names.
 * A secret written as a template (`DB_PASSWORD: pw-{threads}`) is redacted as every value it
 * expands to, so the expanded value is caught wherever a program prints it.
 */
import { Redactor, secretArgs } from "../untrusted/redact.js";
import { knownValues } from "./matrix.js";
import type { SweepSpec } from "./spec.js";
import { templateMatcher } from "./template.js";

const bySpec = new WeakMap<SweepSpec, Redactor>();

export function specRedactor(spec: SweepSpec): Redactor {
  let redactor = bySpec.get(spec);
  if (!redactor) {
    redactor = buildRedactor(spec, process.env);
    bySpec.set(spec, redactor);
  }
  return redactor;
}

/** The redactor for `spec` run with `inherited` as the environment its children inherit. */
export function buildRedactor(spec: SweepSpec, inherited: Readonly<Record<string, string | undefined>>): Redactor {
  const names = new Set(spec.redact ?? []);
  const programs = [spec.server, spec.client, ...Object.values(spec.servers ?? {}), ...Object.values(spec.clients ?? {})].filter(
    (program) => program !== undefined,
  );
  const written = [
    ...Redactor.secretValuesOf(names, ...programs.map((program) => program.env)),
    ...programs.flatMap((program) => secretArgs(program.argv)),
  ];
  const valuesOf = (key: string) => (spec.matrix.keys.includes(key) ? knownValues(spec, key).map(String) : undefined);
  const matchers = written.map((template) => templateMatcher(template, valuesOf)).filter((matcher) => matcher !== undefined);
  const plain = written.filter((value) => !value.includes("{"));
  return new Redactor(names, [...plain, ...Redactor.secretValuesOf(names, inherited)], matchers);
}
