/**
 * On-CPU stack sampling over the window (`profile.cpu`): `perf record -F <hz> -g` on the target's
 * process tree (all threads, children forked later inherit), kernel and user frames, opened
 * disabled and enabled as the window opens, stopped with SIGINT as it closes. `perf script` then
 * reads the samples (naming JavaScript frames from Node's /tmp/perf-PID.map) and tcpsweep folds
 * them into `<cell>.r<repeat>.cpu-<target>.folded` beside the run's raw log.
 * Why perf record and not bpftrace's profile probe: docs/decisions.md (measured).
 */
import { PERF_CONTROL_ARGS, PERF_NEVER_ENABLED, enablePerfEvents, perfEventsEnabled } from "./perf-control.js";
import { writeFileSync } from "node:fs";
import { execa } from "execa";
import { AttachedProfiler } from "./attached.js";
import { ProfileError, type ProfileTarget, type ProfilerSetup } from "./profiler.js";
import { collapsePerfScript, formatFolded, kernelShare, topSelfFrames, totalSamples } from "../flame/folded.js";

export const DEFAULT_CPU_HZ = 99;
/** Frames kept per run in the top-frames CSV. */
export const TOP_FRAMES = 15;
/** perf script over a few seconds of samples takes well under a second; past this something is wrong. */
const SCRIPT_LIMIT_MS = 60_000;
/** Above this share of samples through code perf could not name, the row says some code looks stripped. */
const UNRESOLVED_NOTE_SHARE = 0.01;

export interface CpuProfile {
  kind: "cpu";
  target: ProfileTarget;
  /** The folded stacks (beside the run's raw log). */
  foldedFile: string;
  samples: number;
  /** Share of samples whose innermost frame was in the kernel, 0–1. */
  kernelShare?: number;
  topFrames: { frame: string; samples: number; share: number }[];
  /** What a reader should know (a stripped binary's frames are addresses). */
  note?: string;
}

/** `<raw base>.cpu-<target>.folded` → its perf.data beside it. */
const dataFileOf = (foldedFile: string) => foldedFile.replace(/\.folded$/, ".perf.data");

export class CpuSampleProfiler extends AttachedProfiler<CpuProfile> {
  constructor(
    setup: ProfilerSetup,
    private readonly hz: number,
  ) {
    super(setup, "perf record");
  }

  async begin(pids: number[]): Promise<void> {
    // The window opens only once every thread's sampling is on (perf-control.ts).
    const argv = ["perf", "record", "-F", String(this.hz), "-g", "-o", dataFileOf(this.rawFile), ...PERF_CONTROL_ARGS];
    const perf = this.launcher.start({ argv: [...argv, "-p", pids.join(",")], stdin: true });
    this.process = perf;
    enablePerfEvents(perf);
    await this.awaitAttach(perf, perfEventsEnabled, PERF_NEVER_ENABLED);
  }

  protected async read(): Promise<CpuProfile | ProfileError> {
    const data = dataFileOf(this.rawFile);
    const script = await execa("perf", ["script", "-i", data, "--no-inline"], {
      reject: false,
      timeout: SCRIPT_LIMIT_MS,
      maxBuffer: 1 << 30,
    });
    if (script.exitCode !== 0) return new ProfileError(`perf script -i ${data} failed: ${String(script.stderr).trim().split("\n").pop()}`);
    const collapsed = collapsePerfScript(String(script.stdout));
    writeFileSync(this.rawFile, formatFolded(collapsed.folded), { mode: 0o600 });
    const samples = totalSamples(collapsed.folded);
    const unnamedShare = samples > 0 ? collapsed.samplesWithUnnamedCode / samples : 0;
    // Of the samples in user space: where unwinding stops at a library built without frame pointers,
    // a stripped server's code shows only in the samples taken in it, a small share of a kernel-bound run.
    const unnamedUserShare = collapsed.userLeafSamples > 0 ? collapsed.unnamedLeafSamples / collapsed.userLeafSamples : 0;
    return {
      kind: "cpu",
      target: this.target,
      foldedFile: this.rawFile,
      samples,
      kernelShare: kernelShare(collapsed.folded),
      topFrames: topSelfFrames(collapsed.folded, TOP_FRAMES),
      ...(unnamedShare > UNRESOLVED_NOTE_SHARE || unnamedUserShare > UNRESOLVED_NOTE_SHARE
        ? {
            note: `cpu profile: ${Math.round(100 * unnamedShare)} % of samples ran through code perf could not name (${Math.round(100 * unnamedUserShare)} % of those in user space; a stripped binary, or JIT code without a perf map): its frames are shown as addresses`,
          }
        : {}),
    };
  }
}
