/**
 * What the user sees while a sweep runs: on a terminal one live line (cell k/N, keys,
 * ETA, last resp/s); otherwise (cron, CI) one timestamped line per finished cell.
 */
import { stripControl } from "../untrusted/terminal.js";
export class Progress {
  private readonly live: boolean;
  private readonly started = Date.now();
  private done = 0;

  constructor(
    private readonly total: number,
    /** Seconds one run should take, for the ETA before any run has finished. */
    private readonly estimatedRunS: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.live = Boolean(stream.isTTY);
  }

  private eta(): string {
    const remaining = this.total - this.done;
    const perRunS = this.done > 0 ? (Date.now() - this.started) / 1000 / this.done : this.estimatedRunS;
    const seconds = Math.round(remaining * perRunS);
    return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s` : `${seconds}s`;
  }

  cellStarted(label: string, lastRespPerS?: number): void {
    if (!this.live) return;
    const last = lastRespPerS === undefined ? "" : `, last ${Math.round(lastRespPerS)} resp/s`;
    this.stream.write(`\r\x1b[2K[${this.done + 1}/${this.total}] ${label}  ETA ${this.eta()}${last}`);
  }

  cellFinished(label: string, text: string): void {
    this.done++;
    const outcome = stripControl(text); // errors quote what servers and clients printed
    if (this.live) this.stream.write(`\r\x1b[2K[${this.done}/${this.total}] ${label}: ${outcome}\n`);
    else this.stream.write(`${new Date().toISOString()} [${this.done}/${this.total}] ${label}: ${outcome}\n`);
  }

  message(text: string): void {
    this.stream.write(`${this.live ? "\r\x1b[2K" : `${new Date().toISOString()} `}${text}\n`);
  }
}
