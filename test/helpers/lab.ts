/**
 * A throw-away multi-host lab for the remote-host tests: one network namespace per host, each
 * running its own `sshd`, joined by a bridge, so tests can exercise real OpenSSH between real
 * (namespaced) machines without touching the machine's own network.
 *
 * Layout (see docs/remote-hosts.md):
 *   - `<prefix>-br` holds the bridge `br0` and the bridge-side end of every veth pair. Creating the
 *     pairs inside this namespace means the root namespace never sees one of our links.
 *   - `<prefix>-ctl` is the controller: the test's `ssh` runs there (`ip netns exec <ctl> ssh ...`),
 *     so client traffic too stays inside namespaces we created; the root namespace is never
 *     attached to the bridge and its routing is never changed.
 *   - `<prefix>-<host>` per host, `eth0` with 10.77.0.N/24 and `lo` up, and an sshd listening on
 *     that address only.
 * The prefix is `tsw-lab-<pid>-<random>`: parallel runs never clash, and a lab whose creating
 * process is gone is recognisably stale ({@link cleanStaleLabs}).
 */
import { execa } from "execa";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";

export const LAB_PREFIX = "tsw-lab-";
const SUBNET = "10.77.0"; // private, and only ever configured inside the lab's namespaces
const CONTROLLER_ADDRESS = `${SUBNET}.1`;
const SSHD = "/usr/sbin/sshd";
const INSTALL_HINT = "apt-get install -y openssh-server openssh-client iproute2";
const SSHD_START_TIMEOUT_MS = 10_000;

export interface LabHost {
  name: string;
  /** The host's address on the lab bridge. */
  address: string;
  /** Its network namespace (for `ip netns exec`). */
  ns: string;
}

export interface ExecResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface Lab {
  hosts: Record<string, LabHost>;
  controllerNs: string;
  controllerAddress: string;
  /** ssh_config with one alias per host (HostName, IdentityFile, known hosts, BatchMode, ConnectTimeout). */
  sshConfigPath: string;
  dir: string;
  /** argv that runs `command` on `host` over ssh from the controller namespace. */
  sshArgv(host: string, command: string, sshOptions?: string[]): string[];
  /** Runs `command` on `host` over ssh from the controller; bounded by `timeoutMs`. */
  ssh(host: string, command: string, options?: { timeoutMs?: number; sshOptions?: string[] }): Promise<ExecResult>;
  /** Runs argv directly inside the host's namespace (no ssh); bounded by `timeoutMs`. */
  exec(host: string, argv: string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
  /** argv that runs `argv` in the host's namespace, for callers that spawn it themselves. */
  nsArgv(host: string, argv: string[]): string[];
  /** The PID of the host's listening sshd (undefined once killed). */
  sshdPid(host: string): number | undefined;
  /** Takes the host's link down: it stops answering at all (a machine that dropped off the network). */
  cutNetwork(host: string): Promise<void>;
  /** SIGKILLs the host's listening sshd and waits until it is gone. */
  killSshd(host: string): Promise<void>;
  /** Kills every process in the lab's namespaces, deletes them (and with them every link), removes files. */
  destroy(): Promise<void>;
}

export class LabError extends Error {}

// ---- Commands ----

async function run(argv: string[], timeoutMs = 10_000): Promise<ExecResult> {
  const result = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: timeoutMs, stdin: "ignore" });
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? (result.failed ? result.shortMessage : "")),
    timedOut: result.timedOut,
  };
}

/** Runs a setup command; any failure is a LabError naming the command and what it printed. */
async function must(argv: string[], why: string): Promise<string> {
  const result = await run(argv);
  if (result.exitCode !== 0) {
    throw new LabError(`lab: ${why} failed: \`${argv.join(" ")}\` exited ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

function onPath(tool: string, searchPath: string): boolean {
  if (tool.startsWith("/")) return existsSync(tool);
  return searchPath.split(":").some((dir) => dir && existsSync(path.join(dir, tool)));
}

/** Fails (never skips) with what is missing and how to get it; the parameters exist for its own test. */
export function checkLabPrerequisites(env: { searchPath?: string; sshd?: string; uid?: number } = {}): void {
  const searchPath = env.searchPath ?? process.env.PATH ?? "";
  const uid = env.uid ?? process.getuid?.();
  const missing = [env.sshd ?? SSHD, "ssh", "ssh-keygen", "ip"].filter((tool) => !onPath(tool, searchPath));
  if (missing.length > 0) {
    throw new LabError(`lab: ${missing.join(", ")} not found; the multi-host tests need OpenSSH and iproute2: ${INSTALL_HINT}`);
  }
  if (uid !== 0) {
    throw new LabError(`lab: network namespaces need root (running as uid ${uid}); run the multi-host tests as root (CI does)`);
  }
}

// ---- Stale labs ----

async function namespaces(): Promise<string[]> {
  const out = await run(["ip", "netns", "list"]);
  return out.stdout
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter(Boolean);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes in a namespace: only ever ours (sshd, its sessions, what tests started there). */
async function namespacePids(ns: string): Promise<number[]> {
  const out = await run(["ip", "netns", "pids", ns]);
  return out.stdout
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

async function killNamespace(ns: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = await namespacePids(ns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await run(["ip", "netns", "delete", ns]);
}

/** Deletes labs (namespaces named `tsw-lab-<pid>-…`) whose creating process no longer exists. */
export async function cleanStaleLabs(): Promise<string[]> {
  const stale = (await namespaces()).filter((ns) => {
    const match = new RegExp(`^${LAB_PREFIX}(\\d+)-`).exec(ns);
    return match !== null && !pidAlive(Number(match[1]));
  });
  for (const ns of stale) await killNamespace(ns);
  return stale;
}

/** Every namespace of this machine that belongs to a lab with `prefix`. */
export async function labNamespaces(prefix: string): Promise<string[]> {
  return (await namespaces()).filter((ns) => ns.startsWith(`${prefix}-`));
}

// ---- sshd ----

function sshdConfig(dir: string, host: LabHost): string {
  return [
    `ListenAddress ${host.address}`,
    `Port 22`,
    `HostKey ${path.join(dir, `${host.name}_host_ed25519`)}`,
    `PidFile ${path.join(dir, `${host.name}.sshd.pid`)}`,
    `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
    // The key files live under /tmp (mode 1777), which StrictModes rejects for key paths.
    `StrictModes no`,
    `UsePAM no`,
    `PermitRootLogin prohibit-password`,
    `PasswordAuthentication no`,
    `KbdInteractiveAuthentication no`,
    `PubkeyAuthentication yes`,
    // Tests open a session per command; the default (10:30:100) would drop some under parallel use.
    `MaxStartups 100`,
    `MaxSessions 100`,
    `LogLevel INFO`,
    `Subsystem sftp internal-sftp`,
    "",
  ].join("\n");
}

/**
 * Bash reads the login user's ~/.bashrc before each command sshd runs, and the hosts are this
 * machine: a slow one (pyenv's `rehash` waits up to 60 s for a lock) made each remote command take a
 * minute on CI. It is masked by /dev/null in the mount namespace `ip netns exec` gives (/ a slave).
 */
const SSHD_WITHOUT_BASHRC = 'if [ -f "$1" ]; then mount --bind /dev/null "$1" || exit 1; fi; exec "$2" -D -e -f "$3"';
const userBashrc = () => path.join(userInfo().homedir, ".bashrc");

/** Starts sshd in the host's namespace in the foreground; resolves once it listens. */
async function startSshd(dir: string, host: LabHost): Promise<ChildProcess> {
  const config = path.join(dir, `${host.name}.sshd_config`);
  writeFileSync(config, sshdConfig(dir, host));
  // `ip netns exec` and `sh` exec sshd in turn, so the child's PID is sshd's PID.
  const child = spawn("ip", ["netns", "exec", host.ns, "sh", "-c", SSHD_WITHOUT_BASHRC, "sh", userBashrc(), SSHD, config], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  return await new Promise<ChildProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new LabError(`lab: sshd in ${host.ns} did not report listening within ${SSHD_START_TIMEOUT_MS} ms: ${log.trim()}`));
    }, SSHD_START_TIMEOUT_MS);
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString("utf8");
      if (/Server listening on/.test(log)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new LabError(`lab: sshd in ${host.ns} exited (${signal ?? `code ${code}`}) before listening: ${log.trim()}`));
    });
  });
}

// ---- The lab ----

export interface LabOptions {
  hosts: string[];
  /** ssh's ConnectTimeout in seconds: how fast a dead host is reported. */
  connectTimeoutS?: number;
}

export async function createLab(options: LabOptions): Promise<Lab> {
  checkLabPrerequisites();
  for (const name of options.hosts) {
    if (!/^[a-z][a-z0-9]{0,9}$/.test(name) || name === "br" || name === "ctl") {
      throw new LabError(`lab: host name "${name}" must be 1-10 lowercase letters/digits (and not "br" or "ctl")`);
    }
  }
  if (options.hosts.length > 200) throw new LabError("lab: at most 200 hosts fit the lab's /24");
  await cleanStaleLabs();

  const prefix = `${LAB_PREFIX}${process.pid}-${randomBytes(3).toString("hex")}`;
  const dir = mkdtempSync(path.join(tmpdir(), "tcpsweep-lab-"));
  const bridgeNs = `${prefix}-br`;
  const controllerNs = `${prefix}-ctl`;
  const hosts: Record<string, LabHost> = {};
  options.hosts.forEach((name, index) => {
    hosts[name] = { name, address: `${SUBNET}.${index + 2}`, ns: `${prefix}-${name}` };
  });
  const sshds = new Map<string, ChildProcess>();
  const created: string[] = [];

  const destroy = async (): Promise<void> => {
    // The listening sshds by PID first, then whatever else runs in our namespaces (ssh sessions,
    // programs tests started there): nothing else can be inside a namespace we created.
    for (const child of sshds.values()) if (child.pid !== undefined && child.exitCode === null) child.kill("SIGKILL");
    sshds.clear();
    for (const ns of created.splice(0).reverse()) await killNamespace(ns);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // The privilege-separation directory is compiled into sshd; the package's service unit
    // normally creates it at boot, which a container or a fresh install may not have done.
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

    const addNs = async (ns: string) => {
      const result = await run(["ip", "netns", "add", ns]);
      if (result.exitCode !== 0) {
        throw new LabError(
          `lab: cannot create network namespace ${ns}: ${result.stderr.trim()} ` +
            "(the multi-host tests need root with CAP_SYS_ADMIN, e.g. not an unprivileged container)",
        );
      }
      created.push(ns);
      await must(["ip", "-n", ns, "link", "set", "lo", "up"], `loopback up in ${ns}`);
    };
    await addNs(bridgeNs);
    await must(["ip", "-n", bridgeNs, "link", "add", "br0", "type", "bridge"], "creating the bridge");
    await must(["ip", "-n", bridgeNs, "link", "set", "br0", "up"], "bringing the bridge up");

    const attach = async (ns: string, address: string, index: number) => {
      await addNs(ns);
      const bridgeSide = `v${index}`;
      await must(
        ["ip", "-n", bridgeNs, "link", "add", bridgeSide, "type", "veth", "peer", "name", "eth0", "netns", ns],
        `veth pair for ${ns}`,
      );
      await must(["ip", "-n", bridgeNs, "link", "set", bridgeSide, "master", "br0", "up"], `attaching ${ns} to the bridge`);
      await must(["ip", "-n", ns, "addr", "add", `${address}/24`, "dev", "eth0"], `address for ${ns}`);
      await must(["ip", "-n", ns, "link", "set", "eth0", "up"], `eth0 up in ${ns}`);
    };
    await attach(controllerNs, CONTROLLER_ADDRESS, 1);
    for (const [index, host] of Object.values(hosts).entries()) await attach(host.ns, host.address, index + 2);

    // Keys: one client key (authorized on every host), one host key per host, pinned in known_hosts.
    const identity = path.join(dir, "id_ed25519");
    await must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tcpsweep-lab", "-f", identity], "client key");
    writeFileSync(path.join(dir, "authorized_keys"), readFileSync(`${identity}.pub`));
    const knownHosts: string[] = [];
    for (const host of Object.values(hosts)) {
      const key = path.join(dir, `${host.name}_host_ed25519`);
      await must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.name, "-f", key], `host key for ${host.name}`);
      const [type, blob] = readFileSync(`${key}.pub`, "utf8").trim().split(" ");
      knownHosts.push(`${host.address} ${type} ${blob}`);
    }
    const knownHostsPath = path.join(dir, "known_hosts");
    writeFileSync(knownHostsPath, knownHosts.join("\n") + "\n");

    const sshConfigPath = path.join(dir, "ssh_config");
    const connectTimeout = options.connectTimeoutS ?? 3;
    writeFileSync(
      sshConfigPath,
      Object.values(hosts)
        .map((host) => `Host ${host.name}\n  HostName ${host.address}\n`)
        .join("") +
        [
          "Host *",
          "  User root",
          `  IdentityFile ${identity}`,
          "  IdentitiesOnly yes",
          `  UserKnownHostsFile ${knownHostsPath}`,
          "  GlobalKnownHostsFile /dev/null",
          "  StrictHostKeyChecking yes",
          "  BatchMode yes",
          `  ConnectTimeout ${connectTimeout}`,
          "  ServerAliveInterval 1",
          "  ServerAliveCountMax 3",
          "  LogLevel ERROR",
          "",
        ].join("\n"),
    );

    for (const host of Object.values(hosts)) sshds.set(host.name, await startSshd(dir, host));

    const hostOf = (name: string): LabHost => {
      const host = hosts[name];
      if (!host) throw new LabError(`lab: no host "${name}" (hosts: ${Object.keys(hosts).join(", ")})`);
      return host;
    };
    const sshArgv = (name: string, command: string, sshOptions: string[] = []) => [
      "ip",
      "netns",
      "exec",
      controllerNs,
      "ssh",
      "-F",
      sshConfigPath,
      ...sshOptions,
      hostOf(name).name,
      ...(command === "" ? [] : [command]), // "" for ssh -N / -O, which take no command
    ];
    const nsArgv = (name: string, argv: string[]) => ["ip", "netns", "exec", hostOf(name).ns, ...argv];

    return {
      hosts,
      controllerNs,
      controllerAddress: CONTROLLER_ADDRESS,
      sshConfigPath,
      dir,
      sshArgv,
      nsArgv,
      ssh: (name, command, opts = {}) => run(sshArgv(name, command, opts.sshOptions), opts.timeoutMs ?? 15_000),
      exec: (name, argv, opts = {}) => run(nsArgv(name, argv), opts.timeoutMs ?? 15_000),
      sshdPid: (name) => {
        const child = sshds.get(hostOf(name).name);
        return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
      },
      cutNetwork: async (name) => {
        await must(["ip", "-n", hostOf(name).ns, "link", "set", "eth0", "down"], `cutting ${name} off`);
      },
      killSshd: async (name) => {
        const child = sshds.get(hostOf(name).name);
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await exited;
      },
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
