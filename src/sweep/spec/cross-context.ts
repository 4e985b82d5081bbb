/** What every cross-section check reads and where it reports (its own file, so the checks split over several files import it without a loop). */
import type { RawIssue } from "./locate.js";
import type { Loose } from "./schema-parts.js";

export interface CrossContext {
  raw: Loose;
  matrixKeys: string[] | undefined;
  matrix: Loose | undefined;
  issues: RawIssue[];
  /** This machine's online CPUs, for `cpus:` lists. */
  onlineCpus: readonly number[];
}
