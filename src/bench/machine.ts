/** What the results were measured on, for the header of RESULTS.md. */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, release, totalmem } from "node:os";
import { execaSync } from "execa";

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  kernel: string;
  node: string;
  cc: string;
  /** 1-minute load average as the benchmark started: anything near 1 or more means noisy numbers. */
  loadAtStart: number;
}

function cpuModel(): string {
  try {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    // x86 says "model name"; some ARM kernels only say "Hardware" or "Processor".
    return /^(?:model name|Hardware|Processor)\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

function ccVersion(): string {
  const compiler = process.env.CC ?? "cc"; // the one bench/native/build.sh uses
  const result = execaSync(compiler, ["--version"], { reject: false });
  return result.exitCode === 0 ? String(result.stdout).split("\n")[0]!.trim() : `${compiler}: unavailable`;
}

export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: release(),
    node: process.version,
    cc: ccVersion(),
    loadAtStart: loadavg()[0] ?? 0,
  };
}
