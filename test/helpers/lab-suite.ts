/** One lab (test/helpers/lab.ts) and one scratch directory for a test file: made before its tests, removed after. */
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { execa } from "execa";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { sleep } from "./sweep.js";
import { createLab, type Lab } from "./lab.js";

export interface LabSuite {
  /** Set once the file's beforeAll has run. */
  lab: Lab;
  dir: string;
}

export function useLab(hosts: string[], dirPrefix: string): LabSuite {
  const suite = {} as LabSuite;
  beforeAll(async () => {
    suite.lab = await createLab({ hosts, connectTimeoutS: 2 });
    suite.dir = mkdtempSync(path.join(tmpdir(), dirPrefix));
  }, 60_000);
  afterAll(async () => {
    await suite.lab?.destroy();
    if (suite.dir) rmSync(suite.dir, { recursive: true, force: true });
  });
  return suite;
}

/** The processes in network namespace `ns`: pid, executable's name and command line (those gone meanwhile left out). */
export async function processesIn(ns: string): Promise<{ pid: number; exe: string; cmdline: string }[]> {
  const out = await execa("ip", ["netns", "pids", ns], { reject: false });
  return String(out.stdout)
    .split("\n")
    .filter(Boolean)
    .flatMap((pid) => {
      try {
        const exe = path.basename(readlinkSync(`/proc/${pid}/exe`));
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
        return [{ pid: Number(pid), exe, cmdline }];
      } catch {
        return []; // gone meanwhile
      }
    });
}

/** Waits until every namespace of the lab holds nothing but its listening sshd; returns what is left ("host: pid exe cmdline"). */
export async function leftovers(suite: LabSuite, withinMs: number): Promise<string[]> {
  const { lab } = suite;
  const deadline = Date.now() + withinMs;
  let left: string[] = [];
  do {
    left = [];
    const namespaces: [string, string][] = [
      ["ctl", lab.controllerNs],
      ...Object.values(lab.hosts).map((h): [string, string] => [h.name, h.ns]),
    ];
    for (const [name, ns] of namespaces) {
      const sshd = name === "ctl" ? undefined : lab.sshdPid(name);
      for (const p of await processesIn(ns)) if (p.pid !== sshd) left.push(`${name}: ${p.pid} ${p.exe} ${p.cmdline}`);
    }
    if (left.length === 0) return left;
    await sleep(200);
  } while (Date.now() < deadline);
  return left;
}
