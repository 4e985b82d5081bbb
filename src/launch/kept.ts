/**
 * What a sweep keeps between runs instead of starting per run (the warm client on this machine,
 * warm-client.ts; the load hosts' agents, kept-agents.ts): one pool per launcher, an idle live one
 * reused for the same settings, a new one otherwise; one that is lost during a run is noted, never
 * reused, and the run is retried once on a new one ({@link retryOnLoss}).
 */
import type { RunResult } from "../record/run-record.js";
import type { Launcher } from "./launcher.js";

/** One kept thing (a process, an agent session): one run at a time. */
export interface Kept {
  /** Not gone, and not lost during a run. */
  readonly alive: boolean;
  /** A run is using it. */
  readonly busy: boolean;
  /** Ends it for good (the sweep is over). */
  close(): Promise<void>;
}

export class KeptPool<T extends Kept> {
  /** Why kept things were lost during runs, oldest first ({@link retryOnLoss} reads it). */
  readonly losses: string[] = [];
  private readonly entries: { key: string; kept: T }[] = [];

  /** An idle live one kept for `key`, or a new one from `create` (given how to report its loss during a run). */
  take(key: string, create: (onLoss: (reason: string) => void) => T): T {
    const idle = this.entries.find((entry) => entry.key === key && entry.kept.alive && !entry.kept.busy);
    if (idle) return idle.kept;
    const kept = create((reason) => this.losses.push(reason));
    this.entries.push({ key, kept });
    return kept;
  }

  /** Ends every kept one, and forgets them. */
  async close(): Promise<void> {
    const all = this.entries.splice(0).map((entry) => entry.kept);
    await Promise.all(all.map((kept) => kept.close()));
  }
}

/** A launcher that keeps processes between runs: the runner retries a run during which one was lost. */
export interface KeepingLauncher extends Launcher {
  readonly kept: KeptPool<Kept>;
}

const keeps = (launcher: Launcher): launcher is KeepingLauncher => (launcher as Partial<KeepingLauncher>).kept instanceof KeptPool;

/**
 * Runs `run` (one cell run); when something the client launcher kept was lost during it, runs it once
 * more (on a new one) and says so in the row's error. Not after an interrupt (the sweep is stopping).
 */
export async function retryOnLoss(
  { clientLauncher: launcher, abort }: { clientLauncher: Launcher; abort: AbortSignal },
  run: () => Promise<RunResult>,
): Promise<RunResult> {
  if (!keeps(launcher)) return run();
  const before = launcher.kept.losses.length;
  const first = await run();
  const lost = launcher.kept.losses.slice(before);
  if (lost.length === 0 || abort.aborted) return first;
  const second = await run();
  const note = `${lost.join("; ")}; replaced, run retried once (the first attempt: ${first.status})`;
  return { ...second, error: [second.error, note].filter(Boolean).join("; ") };
}
