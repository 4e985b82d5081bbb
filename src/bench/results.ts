/** What one `npm run bench` measured, handed to every section's renderer. */
import type { ClientPoint, Perturbation, ServerPoint } from "./experiments.js";
import type { Machine } from "./machine.js";
import type { BenchOptions } from "./options.js";
import type { OverheadResults } from "./overhead.js";

export interface BenchResults {
  startedAt: string;
  commandLine: string;
  options: BenchOptions;
  machine: Machine;
  elapsedS: number;
  /** Empty when the section could not run at all (see failures). */
  clients: ClientPoint[];
  servers: ServerPoint[];
  perturbation?: Perturbation;
  overhead?: OverheadResults;
  failures: string[];
  rawDir: string;
}
