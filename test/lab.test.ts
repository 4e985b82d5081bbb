/**
 * The multi-host lab itself: real namespaces, real sshd, real ssh. The remote-host tests build on
 * it, so it must prove that each alias reaches the right namespace, that hosts reach each other
 * over TCP, that a dead sshd is reported fast (never a hang or a prompt), and that nothing stays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { LAB_PREFIX, checkLabPrerequisites, cleanStaleLabs, createLab, labNamespaces, type Lab } from "./helpers/lab.js";

const HOSTS = ["srv", "load1", "load2"];
let lab: Lab;
// Read before any lab exists: a mask that leaked out of the lab's namespaces would show after.
const BASHRC = path.join(userInfo().homedir, ".bashrc");
const BASHRC_BEFORE = existsSync(BASHRC) ? readFileSync(BASHRC, "utf8") : undefined;

beforeAll(async () => {
  lab = await createLab({ hosts: HOSTS, connectTimeoutS: 2 });
}, 60_000);

afterAll(async () => {
  await lab?.destroy();
});

describe("lab", () => {
  it("ssh from the controller runs commands in each host's own namespace", async () => {
    for (const name of HOSTS) {
      const host = lab.hosts[name]!;
      const result = await lab.ssh(name, "ip -4 -o addr show dev eth0; readlink /proc/self/ns/net");
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain(`inet ${host.address}/24`);
      // The namespace the session runs in is the one `ip netns exec host.ns` enters.
      const direct = await lab.exec(name, ["readlink", "/proc/self/ns/net"]);
      expect(result.stdout.trim().split("\n").at(-1)).toBe(direct.stdout.trim());
    }
    // Different hosts really are different namespaces.
    const ids = await Promise.all(HOSTS.map((name) => lab.exec(name, ["readlink", "/proc/self/ns/net"])));
    expect(new Set(ids.map((id) => id.stdout.trim())).size).toBe(HOSTS.length);
  });

  it("remote commands skip the login user's ~/.bashrc, which stays intact on this machine", async () => {
    // A slow or lock-waiting .bashrc (pyenv) once made every remote command of CI take a minute.
    const result = await lab.ssh("srv", `wc -c < "$HOME/.bashrc" 2>/dev/null || echo absent`);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(BASHRC_BEFORE === undefined ? "absent" : "0");
    expect(existsSync(BASHRC) ? readFileSync(BASHRC, "utf8") : undefined).toBe(BASHRC_BEFORE);
    // …and no mount of it in this machine's own namespace.
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(` ${BASHRC} `);
  });

  it("the lab's addresses exist only inside its namespaces", async () => {
    const root = await new Promise<string>((resolve) => {
      const child = spawn("ip", ["-4", "-o", "addr"], { stdio: ["ignore", "pipe", "ignore"] });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.on("close", () => resolve(out));
    });
    for (const host of Object.values(lab.hosts)) expect(root).not.toContain(`inet ${host.address}/`);
  });

  it("a TCP connection from load1 reaches a server in srv over the bridge", async () => {
    const srv = lab.hosts.srv!;
    // A one-shot server that answers "pong <its address>", and exits after one connection or 10 s.
    const serverCode = `
      const s = require("net").createServer((c) => c.end("pong " + c.localAddress + "\\n", () => s.close()));
      s.listen(7777, "${srv.address}", () => console.log("listening"));
      setTimeout(() => process.exit(3), 10000).unref();`;
    const argv = lab.nsArgv("srv", [process.execPath, "-e", serverCode]);
    const server = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("listening") && resolve());
        server.once("exit", (code) => reject(new Error(`server exited ${code} before listening`)));
      });
      const clientCode = `
        const c = require("net").connect(7777, "${srv.address}");
        let got = ""; c.on("data", (d) => (got += d)); c.on("end", () => { console.log(got.trim()); process.exit(0); });
        c.on("error", (e) => { console.error(e.message); process.exit(2); });
        setTimeout(() => process.exit(4), 5000);`;
      const client = await lab.exec("load1", [process.execPath, "-e", clientCode], { timeoutMs: 10_000 });
      expect(client.stderr).toBe("");
      expect(client.stdout.trim()).toBe(`pong ${srv.address}`);
    } finally {
      server.kill("SIGKILL");
    }
  });

  it("a killed sshd makes ssh to that host fail fast, without a prompt", async () => {
    const before = await lab.ssh("load2", "true");
    expect(before.exitCode).toBe(0);
    await lab.killSshd("load2");
    expect(lab.sshdPid("load2")).toBeUndefined();
    const started = Date.now();
    const after = await lab.ssh("load2", "true", { timeoutMs: 20_000 });
    const elapsedMs = Date.now() - started;
    expect(after.timedOut).toBe(false);
    expect(after.exitCode).toBe(255); // ssh's own failure, not the remote command's
    expect(after.stderr).toMatch(/Connection refused|timed out/);
    expect(elapsedMs).toBeLessThan(10_000);
    // The other hosts are unaffected.
    expect((await lab.ssh("load1", "true")).exitCode).toBe(0);
  });
});

describe("what the planned agent relies on", () => {
  /** Runs `cat >/dev/null; touch MARKER; sleep 30` on load1 through `argv`, kills the local ssh, waits for MARKER. */
  async function eofAfterKillingSsh(argv: string[], marker: string): Promise<number> {
    const session = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    try {
      await new Promise<void>((resolve, reject) => {
        session.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("started") && resolve());
        session.once("exit", (code) => reject(new Error(`session ended early (${code})`)));
      });
      expect(existsSync(marker)).toBe(false); // stdin still open: the remote command is blocked in cat
      const killedAt = Date.now();
      session.kill("SIGKILL"); // the local ssh only; the remote side sees the channel close
      while (!existsSync(marker) && Date.now() - killedAt < 10_000) await new Promise((r) => setTimeout(r, 50));
      return existsSync(marker) ? Date.now() - killedAt : Infinity;
    } finally {
      session.kill("SIGKILL");
    }
  }

  it("killing ssh gives the remote command EOF on stdin (plain and multiplexed sessions)", async () => {
    const plainMarker = `${lab.dir}/eof-plain`;
    const command = (marker: string) => `echo started; cat >/dev/null; touch ${marker}; sleep 30`;
    expect(await eofAfterKillingSsh(lab.sshArgv("load1", command(plainMarker)), plainMarker)).toBeLessThan(5_000);

    // The same through a ControlMaster: killing the multiplexing client must close its channel too.
    const control = ["-o", `ControlPath=${lab.dir}/cm-%C`];
    const masterArgv = lab.sshArgv("load1", "", ["-N", "-o", "ControlMaster=yes", "-o", "ControlPersist=no", ...control]);
    const master = spawn(masterArgv[0]!, masterArgv.slice(1), { stdio: "ignore" });
    try {
      const deadline = Date.now() + 10_000;
      let check = await lab.ssh("load1", "", { sshOptions: ["-O", "check", ...control] });
      while (check.exitCode !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        check = await lab.ssh("load1", "", { sshOptions: ["-O", "check", ...control] });
      }
      expect(check.stderr).toMatch(/Master running/); // else the client below would not be multiplexed
      const muxMarker = `${lab.dir}/eof-mux`;
      const muxArgv = lab.sshArgv("load1", command(muxMarker), ["-o", "ControlMaster=no", ...control]);
      expect(await eofAfterKillingSsh(muxArgv, muxMarker)).toBeLessThan(5_000);
      // The master survived its client: the next cell reuses it without a handshake.
      const reuse = await lab.ssh("load1", "echo reused", { sshOptions: ["-o", "ControlMaster=no", ...control] });
      expect(reuse.stdout.trim()).toBe("reused");
    } finally {
      master.kill("SIGKILL");
    }
  });
});

describe("a host that drops off the network", () => {
  it("an open session ends within the keep-alive bound, and new connections time out", async () => {
    const cut = await createLab({ hosts: ["s1"], connectTimeoutS: 2 });
    try {
      const argv = cut.sshArgv("s1", "echo started; sleep 60");
      const session = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
      await new Promise<void>((resolve, reject) => {
        session.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("started") && resolve());
        session.once("exit", (code) => reject(new Error(`session ended early (${code})`)));
      });
      const cutAt = Date.now();
      await cut.cutNetwork("s1");
      const code = await new Promise<number | null>((resolve) => session.once("exit", (exitCode) => resolve(exitCode)));
      const sessionEndMs = Date.now() - cutAt;
      expect(code).toBe(255);
      // ServerAliveInterval 1 × ServerAliveCountMax 3: about 3-4 s, far below the 60 s command.
      expect(sessionEndMs).toBeLessThan(15_000);
      const started = Date.now();
      const fresh = await cut.ssh("s1", "true", { timeoutMs: 20_000 });
      expect(fresh.timedOut).toBe(false);
      expect(fresh.exitCode).toBe(255);
      expect(Date.now() - started).toBeLessThan(10_000); // ConnectTimeout 2 s (or the ARP failure first)
    } finally {
      await cut.destroy();
    }
  });
});

describe("lab teardown", () => {
  it("destroy() leaves no namespace, no sshd and no files of the lab", async () => {
    const extra = await createLab({ hosts: ["a1", "a2"] });
    const prefix = extra.controllerNs.replace(/-ctl$/, "");
    const pids = ["a1", "a2"].map((name) => extra.sshdPid(name)!);
    // A session left running inside a host, as a crashed test would leave it.
    const sessionArgv = extra.sshArgv("a1", "echo started; exec sleep 60");
    const session = spawn(sessionArgv[0]!, sessionArgv.slice(1), { stdio: ["ignore", "pipe", "ignore"] });
    // Wait for the remote command to run (it says so), not for a guessed second.
    await new Promise<void>((resolve, reject) => {
      session.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("started") && resolve());
      session.once("exit", (code) => reject(new Error(`ssh session ended before the remote command started (${code})`)));
    });
    expect(pids.every((pid) => typeof pid === "number" && existsSync(`/proc/${pid}`))).toBe(true);
    expect((await labNamespaces(prefix)).length).toBe(4); // br, ctl, a1, a2
    await extra.destroy();
    expect(await labNamespaces(prefix)).toEqual([]);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(extra.dir)).toBe(false);
    await new Promise((resolve) => (session.exitCode !== null ? resolve(null) : session.once("exit", resolve)));
    expect(session.exitCode ?? session.signalCode).not.toBe(0);
  });
});

describe("lab prerequisites and leftovers", () => {
  it("a machine without OpenSSH or iproute2 fails with how to install them", () => {
    expect(() => checkLabPrerequisites({ searchPath: "/nonexistent", sshd: "/nonexistent/sshd" })).toThrow(
      /\/nonexistent\/sshd, ssh, ssh-keygen, ip not found; .*apt-get install -y openssh-server openssh-client iproute2/,
    );
    expect(() => checkLabPrerequisites({ uid: 1000 })).toThrow(/network namespaces need root \(running as uid 1000\)/);
    expect(() => checkLabPrerequisites()).not.toThrow(); // this machine has them (CI installs them)
  });

  it("cleanStaleLabs removes a crashed run's namespaces and the processes left in them", async () => {
    // A PID that surely belongs to no live process: one of our own children, after it exited.
    const gone = await execa(process.execPath, ["-e", "console.log(process.pid)"]);
    const ns = `${LAB_PREFIX}${gone.stdout.trim()}-dead00-srv`;
    await execa("ip", ["netns", "add", ns]);
    const leftover = spawn("ip", ["netns", "exec", ns, "sleep", "60"], { stdio: "ignore" });
    // Inside the namespace once `ip` has exec'd sleep: wait for that, not for a guessed 300 ms.
    const comm = () => (existsSync(`/proc/${leftover.pid}/comm`) ? readFileSync(`/proc/${leftover.pid}/comm`, "utf8").trim() : "");
    const deadline = Date.now() + 20_000;
    while (comm() !== "sleep" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(comm()).toBe("sleep");
    const removed = await cleanStaleLabs();
    expect(removed).toContain(ns);
    expect(await labNamespaces(`${LAB_PREFIX}${gone.stdout.trim()}`)).toEqual([]);
    await new Promise((resolve) =>
      leftover.exitCode !== null || leftover.signalCode !== null ? resolve(null) : leftover.once("exit", resolve),
    );
    expect(leftover.signalCode).toBe("SIGKILL");
    // A live lab (this file's, whose creator is this process) is not stale.
    expect(removed.some((name) => name.startsWith(lab.controllerNs.replace(/-ctl$/, "")))).toBe(false);
    expect((await labNamespaces(lab.controllerNs.replace(/-ctl$/, ""))).length).toBe(HOSTS.length + 2);
  });
});
