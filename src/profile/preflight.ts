/** Before a profiled sweep starts: can strace / perf actually count here? Says which and how to fix. */
import { existsSync, readFileSync } from "node:fs";
import { execaSync } from "execa";

const CAP_SYS_PTRACE = 19;

function hasCapability(bit: number): boolean {
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  return capEff !== undefined && (BigInt(`0x${capEff}`) & (1n << BigInt(bit))) !== 0n;
}

function runs(argv: string[]): { ok: boolean; output: string; missing: boolean } {
  const result = execaSync(argv[0]!, argv.slice(1), { reject: false, timeout: 10_000 });
  const output = `${result.stderr ?? ""}${result.stdout ?? ""}`.toString().trim().split("\n").slice(-2).join(" | ");
  return { ok: result.exitCode === 0, output, missing: (result as { code?: string }).code === "ENOENT" };
}

/** Why strace cannot profile here (missing, ptrace forbidden), or undefined when it can. */
export function straceProblem(attach: "window" | "launch"): string | undefined {
  const probe = runs(["strace", "-c", "-f", "-o", "/dev/null", "--", "true"]);
  if (probe.missing)
    return "strace is not installed: install it (Debian/Ubuntu: apt-get install -y strace) or remove profile.strace from the spec";
  if (!probe.ok)
    return `strace cannot trace here (${probe.output}): ptrace is blocked, e.g. by a container's seccomp profile; run with CAP_SYS_PTRACE (docker: --cap-add SYS_PTRACE)`;
  const scopeFile = "/proc/sys/kernel/yama/ptrace_scope";
  const scope = existsSync(scopeFile) ? Number(readFileSync(scopeFile, "utf8").trim()) : 0;
  if (scope === 3)
    return "ptrace is disabled (kernel.yama.ptrace_scope = 3, which only a reboot resets): strace cannot profile on this machine";
  if (attach === "window" && scope >= 1 && !hasCapability(CAP_SYS_PTRACE)) {
    return `strace cannot attach to running servers: kernel.yama.ptrace_scope = ${scope} and this process lacks CAP_SYS_PTRACE; run as root, lower it (sysctl kernel.yama.ptrace_scope=0), or use profile.strace.attach: launch`;
  }
  return undefined;
}

/** Why perf cannot count syscall tracepoints here, or undefined when it can. */
export function perfProblem(): string | undefined {
  const probe = runs(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "--", "true"]);
  if (probe.missing)
    return "perf is not installed: install it (Debian: apt-get install -y linux-perf) or remove profile.perf from the spec";
  if (!probe.ok) {
    const paranoidFile = "/proc/sys/kernel/perf_event_paranoid";
    const paranoid = existsSync(paranoidFile) ? ` = ${readFileSync(paranoidFile, "utf8").trim()}` : "";
    return `perf cannot count syscall tracepoints (${probe.output}): run as root or lower kernel.perf_event_paranoid${paranoid} (sysctl kernel.perf_event_paranoid=-1), and make sure tracefs is mounted and readable`;
  }
  return undefined;
}

/** Why perf cannot sample stacks here (`profile.cpu`), or undefined when it can. */
export function cpuSamplingProblem(): string | undefined {
  const probe = runs(["perf", "record", "-F", "99", "-g", "-o", "/dev/null", "--", "true"]);
  if (probe.missing) return "perf is not installed: install it (Debian: apt-get install -y linux-perf) or remove profile.cpu from the spec";
  if (!probe.ok)
    return `perf cannot sample CPU stacks (${probe.output}): run as root or lower kernel.perf_event_paranoid (sysctl kernel.perf_event_paranoid=1 or less)`;
  return undefined;
}
