/**
 * Syscall numbers of the calls perf counts one by one, per CPU architecture (Node's process.arch).
 * perf counts each as raw_syscalls:sys_enter filtered on `id`, all on one tracepoint: the kernel
 * unregisters a tracepoint, and waits for an RCU grace period, when its last perf event closes, so
 * 32 syscalls:sys_enter_* tracepoints cost ~1.2 s as perf exits, one shared tracepoint ~0.2 s
 * (bench/RESULTS.md, "perf pass"). Numbers from the kernel's uapi headers: x86_64's
 * asm/unistd_64.h, arm64's asm-generic/unistd.h (which has no epoll_wait, poll or select).
 * test/perf-syscalls.test.ts checks the running architecture's table against the named tracepoints.
 */
import { existsSync, readFileSync } from "node:fs";
export const SYSCALL_NUMBERS: Readonly<Partial<Record<string, Readonly<Record<string, number>>>>> = {
  x64: {
    read: 0,
    write: 1,
    readv: 19,
    writev: 20,
    recvfrom: 45,
    sendto: 44,
    recvmsg: 47,
    sendmsg: 46,
    epoll_wait: 232,
    epoll_pwait: 281,
    epoll_pwait2: 441,
    epoll_ctl: 233,
    poll: 7,
    ppoll: 271,
    select: 23,
    pselect6: 270,
    io_uring_enter: 426,
    futex: 202,
    accept: 43,
    accept4: 288,
    close: 3,
    shutdown: 48,
    mmap: 9,
    munmap: 11,
    mremap: 25,
    madvise: 28,
    brk: 12,
    mprotect: 10,
    getpid: 39,
    sched_yield: 24,
    nanosleep: 35,
    clock_nanosleep: 230,
    clock_gettime: 228,
  },
  arm64: {
    read: 63,
    write: 64,
    readv: 65,
    writev: 66,
    recvfrom: 207,
    sendto: 206,
    recvmsg: 212,
    sendmsg: 211,
    epoll_pwait: 22,
    epoll_pwait2: 441,
    epoll_ctl: 21,
    ppoll: 73,
    pselect6: 72,
    io_uring_enter: 426,
    futex: 98,
    accept: 202,
    accept4: 242,
    close: 57,
    shutdown: 210,
    mmap: 222,
    munmap: 215,
    mremap: 216,
    madvise: 233,
    brk: 214,
    mprotect: 226,
    getpid: 172,
    sched_yield: 124,
    nanosleep: 101,
    clock_nanosleep: 115,
    clock_gettime: 113,
  },
};

/** The running architecture's numbers, or undefined where tcpsweep has no table (perf then uses the named tracepoints). */
export const syscallNumbers = (arch: string = process.arch): Readonly<Record<string, number>> | undefined => SYSCALL_NUMBERS[arch];

/** The kernel's uapi header with every syscall number of an architecture (Debian's linux-libc-dev). */
const UAPI_HEADERS: Readonly<Partial<Record<string, readonly string[]>>> = {
  x64: ["/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"],
  arm64: ["/usr/include/asm-generic/unistd.h"],
};

let namesCache: { arch: string; names: Map<number, string> } | undefined;

/**
 * Every syscall number's name that this machine can tell: the uapi header where it is installed,
 * else the table above; the bpf profiler counts by number (one tracepoint for all syscalls) and
 * names a number it cannot find `syscall_<nr>`. Read once: the header does not change under a run.
 */
export function syscallNames(arch: string = process.arch): ReadonlyMap<number, string> {
  if (namesCache?.arch === arch) return namesCache.names;
  const names = new Map<number, string>(Object.entries(SYSCALL_NUMBERS[arch] ?? {}).map(([name, nr]) => [nr, name]));
  const header = (UAPI_HEADERS[arch] ?? []).find((file) => existsSync(file));
  // `#define __NR_read 0` (x86_64) or `#define __NR3264_mmap 222` (the generic table's 32/64-bit names)
  const text = header ? readFileSync(header, "utf8") : "";
  for (const match of text.matchAll(/^#define __NR(?:3264)?_(\w+)\s+(\d+)\s*$/gm)) names.set(Number(match[2]), match[1]!);
  namesCache = { arch, names };
  return names;
}
