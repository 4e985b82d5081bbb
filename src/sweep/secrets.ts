/** The run's one redactor (src/untrusted/redact.ts), built from the spec's environments and its `redact:` names. */
import { Redactor } from "../untrusted/redact.js";
import type { SweepSpec } from "./spec.js";

const bySpec = new WeakMap<SweepSpec, Redactor>();

export function specRedactor(spec: SweepSpec): Redactor {
  let redactor = bySpec.get(spec);
  if (!redactor) {
    const programs = [spec.server, spec.client, ...Object.values(spec.servers ?? {}), ...Object.values(spec.clients ?? {})];
    redactor = Redactor.forEnvironments(spec.redact ?? [], ...programs.map((program) => program?.env ?? {}));
    bySpec.set(spec, redactor);
  }
  return redactor;
}
