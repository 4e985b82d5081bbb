/**
 * The system tools the test suite runs for real, where to find them and which Debian package
 * brings each. Used by the suite's global setup (which installs what is missing) and by tests
 * that need a tool's path (no hard-coded /usr/bin/...).
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";

export interface SystemTool {
  /** What the suite needs it for, shown when it is missing. */
  purpose: string;
  /** Executable names tried in order (the first found wins). */
  names: string[];
  /** The Debian/Ubuntu package that provides it. */
  debianPackage: string;
}

export const SYSTEM_TOOLS: SystemTool[] = [
  { purpose: "syscall profiling tests", names: ["strace"], debianPackage: "strace" },
  { purpose: "perf tracepoint tests", names: ["perf"], debianPackage: "linux-perf" },
  { purpose: "eBPF syscall profiling tests (profile.bpf)", names: ["bpftrace"], debianPackage: "bpftrace" },
  { purpose: "dropping capabilities in the bpf permission test", names: ["setpriv"], debianPackage: "util-linux" },
  { purpose: "calling syscalls by number in the perf tests", names: ["perl"], debianPackage: "perl-base" },
  { purpose: "the HTML report opened in a headless browser", names: ["chromium", "chromium-browser"], debianPackage: "chromium" },
  { purpose: "open-file limit tests", names: ["prlimit"], debianPackage: "util-linux" },
  { purpose: "CPU pinning", names: ["taskset"], debianPackage: "util-linux" },
  { purpose: "git describe in meta.json", names: ["git"], debianPackage: "git" },
  { purpose: "remote (ssh) runs", names: ["sshd"], debianPackage: "openssh-server" },
  { purpose: "remote (ssh) runs", names: ["ssh"], debianPackage: "openssh-client" },
  { purpose: "network namespaces", names: ["ip"], debianPackage: "iproute2" },
  { purpose: "a real echo server (fork per connection) for the echo protocol", names: ["socat"], debianPackage: "socat" },
  {
    purpose: "real Python servers: a pathology on purpose (the note column), an asyncio echo server as users bring one (readiness test)",
    names: ["python3"],
    debianPackage: "python3",
  },
  { purpose: "compiling the native epoll server for the CPU profile tests", names: ["gcc", "cc"], debianPackage: "gcc" },
  { purpose: "a stripped binary in the CPU profile tests", names: ["strip"], debianPackage: "binutils" },
  { purpose: "a real echo server (xinetd's internal echo service) for the echo protocol", names: ["xinetd"], debianPackage: "xinetd" },
  {
    purpose: "opening tcpsweep's CSVs in a real spreadsheet (formula look-alikes)",
    names: ["soffice"],
    debianPackage: "libreoffice-calc-nogui",
  },
];

/** PATH, plus the sbin directories a non-login root shell may lack (sshd and ip live there). */
function searchDirs(): string[] {
  const dirs = (process.env.PATH ?? "").split(":").filter(Boolean);
  for (const extra of ["/usr/local/sbin", "/usr/sbin", "/sbin"]) if (!dirs.includes(extra)) dirs.push(extra);
  return dirs;
}

/** The absolute path of the first of `names` found as an executable, or undefined. */
export function findExecutable(names: readonly string[]): string | undefined {
  for (const name of names) {
    for (const dir of searchDirs()) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The one apt-get command that installs `tools`. */
export function installCommand(tools: readonly SystemTool[]): string {
  return `apt-get install -y --no-install-recommends ${[...new Set(tools.map((tool) => tool.debianPackage))].join(" ")}`;
}

/** Path of a tool the global setup guarantees; a clear failure if it is somehow missing. */
export function requireTool(name: string): string {
  const tool = SYSTEM_TOOLS.find((candidate) => candidate.names.includes(name));
  if (!tool) throw new Error(`${name} is not in SYSTEM_TOOLS (test/helpers/system-tools.ts): add it there so the setup installs it`);
  const found = findExecutable(tool.names);
  if (!found) throw new Error(`${tool.names.join(" or ")} is missing (needed for ${tool.purpose}): ${installCommand([tool])}`);
  return found;
}
