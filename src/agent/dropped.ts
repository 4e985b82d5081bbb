/**
 * What the agent says about messages it drops (not protocol, over the length limit): the first few
 * in full, then one summary line at most every 10 s and one at the end. A controller (or anyone on
 * its stdin) that sends 300,000 bad lines gets a few lines of stderr, not one per line.
 */
import { stripControl } from "../untrusted/terminal.js";

/** Dropped messages shown one by one before the agent only counts them. */
export const DROPS_SHOWN = 5;
const SUMMARY_EVERY_MS = 10_000;

export class DroppedMessages {
  private count = 0;
  private unreported = 0;
  private lastReason = "";
  private lastSummaryAt = -Infinity; // the first drop past those shown is summarised at once

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  drop(why: string, line: string): void {
    this.count++;
    if (this.count <= DROPS_SHOWN) {
      const more = this.count === DROPS_SHOWN ? `; further drops are counted, summarised every ${SUMMARY_EVERY_MS / 1000} s` : "";
      this.write(`tcpsweep agent: dropped message ${this.count} (${why}): ${stripControl(line.slice(0, 200))}${more}\n`);
      return;
    }
    this.unreported++;
    this.lastReason = why;
    if (this.now() - this.lastSummaryAt >= SUMMARY_EVERY_MS) this.summarise();
  }

  /** From a timer: what was dropped since the last summary, once 10 s have passed (a burst then quiet is still said). */
  tick(): void {
    if (this.unreported > 0 && this.now() - this.lastSummaryAt >= SUMMARY_EVERY_MS) this.summarise();
  }

  /** The drops not yet reported, on one line (from tick, and at exit). */
  summarise(): void {
    this.lastSummaryAt = this.now();
    if (this.unreported === 0) return;
    this.write(
      `tcpsweep agent: dropped ${this.unreported} more message${this.unreported === 1 ? "" : "s"} (${this.count} in all; the last: ${this.lastReason})\n`,
    );
    this.unreported = 0;
  }
}
