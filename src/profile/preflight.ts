/** Before a profiled sweep starts: can strace / perf / bpftrace actually count here? Says which and how to fix. */
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

const CAP_PERFMON = 38;
const CAP_BPF = 39;
const CAP_SYS_ADMIN = 21;
const TRACEFS = "/sys/kernel/tracing";
const BTF = "/sys/kernel/btf/vmlinux";

/** Mounts tracefs where this process may (root, CAP_SYS_ADMIN); says whether the syscall tracepoints are there now. */
function tracefsReady(): boolean {
  const ready = () => ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"].some((root) => existsSync(`${root}/events/raw_syscalls`));
  if (ready()) return true;
  if (hasCapability(CAP_SYS_ADMIN)) runs(["mount", "-t", "tracefs", "nodev", TRACEFS]);
  return ready();
}

/**
 * Why bpftrace cannot count syscalls here, every missing piece at once with how to fix it, or
 * undefined when it can: bpftrace present, CAP_BPF and CAP_PERFMON (root has both), tracefs
 * mounted, kernel BTF, and this process in the first pid namespace (bpftrace's pids are the host's).
 */
export function bpfProblem(): string | undefined {
  const version = runs(["bpftrace", "--version"]);
  if (version.missing)
    return "bpftrace is not installed: install it (Debian/Ubuntu: apt-get install -y bpftrace) or remove profile.bpf from the spec";
  const problems: string[] = [];
  const caps = [
    [CAP_BPF, "CAP_BPF"],
    [CAP_PERFMON, "CAP_PERFMON"],
  ] as const;
  const missingCaps = caps.filter(([bit]) => !hasCapability(bit)).map(([, name]) => name);
  if (missingCaps.length > 0)
    problems.push(
      `this process lacks ${missingCaps.join(" and ")}: run as root, or grant them (setcap, or docker: --cap-add BPF --cap-add PERFMON)`,
    );
  if (!tracefsReady())
    problems.push(
      `tracefs is not mounted and could not be mounted here: mount it as root (mount -t tracefs nodev ${TRACEFS}; docker: -v ${TRACEFS}:${TRACEFS})`,
    );
  if (!existsSync(BTF)) problems.push(`the kernel has no BTF (${BTF} is missing): use a kernel built with CONFIG_DEBUG_INFO_BTF=y`);
  const nspid = /^NSpid:\s*(.*)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]?.trim().split(/\s+/) ?? [];
  if (nspid.length > 1)
    problems.push(
      "tcpsweep runs in a pid namespace of its own (a container): bpftrace sees the host's pids; run it in the host's pid namespace (docker: --pid host)",
    );
  if (problems.length === 0) {
    const probe = runs(["bpftrace", "-e", "BEGIN { exit(); }"]);
    if (!probe.ok) problems.push(`bpftrace cannot load a program here (${probe.output}): check kernel lockdown and seccomp`);
  }
  return problems.length > 0 ? `bpftrace cannot count syscalls here: ${problems.join("; ")}` : undefined;
}

/** Why perf cannot sample stacks here (`profile.cpu`), or undefined when it can. */
export function cpuSamplingProblem(): string | undefined {
  const probe = runs(["perf", "record", "-F", "99", "-g", "-o", "/dev/null", "--", "true"]);
  if (probe.missing) return "perf is not installed: install it (Debian: apt-get install -y linux-perf) or remove profile.cpu from the spec";
  if (!probe.ok)
    return `perf cannot sample CPU stacks (${probe.output}): run as root or lower kernel.perf_event_paranoid (sysctl kernel.perf_event_paranoid=1 or less)`;
  return undefined;
}
