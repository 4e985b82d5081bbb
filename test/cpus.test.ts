/**
 * CPU lists and pinning: parsing and formatting as properties, errors a user can act on, and real
 * processes (a child that forks a grandchild, each with worker threads) whose /proc affinity must
 * match what was asked, both when started pinned and when pinned afterwards.
 */
import fc from "fast-check";
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import {
  CpuListError,
  allowedCpus,
  checkCpuList,
  formatCpuList,
  parseCpuList,
  pinProcessTree,
  pinnedArgv,
  readOnlineCpus,
} from "../src/placement/cpus.js";
import { processTree } from "../src/process/proctree.js";
import { readdirSync } from "node:fs";

describe("CPU lists", () => {
  it("parses the Linux forms", () => {
    expect(parseCpuList("0")).toEqual([0]);
    expect(parseCpuList("0-1")).toEqual([0, 1]);
    expect(parseCpuList("2,4")).toEqual([2, 4]);
    expect(parseCpuList("0-3,8")).toEqual([0, 1, 2, 3, 8]);
    expect(parseCpuList(" 8,0-2,1 \n")).toEqual([0, 1, 2, 8]);
  });

  it("formats back to the shortest list", () => {
    expect(formatCpuList([8, 0, 1, 2, 3])).toBe("0-3,8");
    expect(formatCpuList([2, 4])).toBe("2,4");
    expect(formatCpuList([1])).toBe("1");
  });

  it("parse(format(ids)) is the sorted set of ids", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 60 }), (ids) => {
        const expected = [...new Set(ids)].sort((a, b) => a - b);
        expect(parseCpuList(formatCpuList(ids))).toEqual(expected);
      }),
    );
  });

  it("says what is wrong with a bad list", () => {
    expect(() => parseCpuList("")).toThrow(/empty CPU list/);
    expect(() => parseCpuList("0-x")).toThrow(/"0-x" in CPU list "0-x" is not a CPU id or a range/);
    expect(() => parseCpuList("3-1")).toThrow(/range "3-1" .* ends before it starts/);
    expect(() => parseCpuList("1,,2")).toThrow(CpuListError);
  });

  it("a CPU that does not exist is named with the machine's CPUs", () => {
    expect(() => checkCpuList("5", [0, 1])).toThrow("CPU 5 does not exist on this machine (CPUs 0-1)");
    expect(() => checkCpuList("1-3,7", [0, 1])).toThrow("CPUs 2-3,7 do not exist on this machine (CPUs 0-1)");
    expect(checkCpuList("1", [0, 1])).toEqual([1]);
  });

  it("reads this machine's online CPUs", () => {
    const online = readOnlineCpus();
    expect(online.length).toBeGreaterThan(0);
    expect(online).toContain(0);
    // The kernel's own view for this process agrees (nothing here restricts the test runner).
    expect(allowedCpus(process.pid).every((id) => online.includes(id))).toBe(true);
  });
});

/** A node child that starts a grandchild; both keep a worker thread; prints both PIDs when ready. */
const TREE_PROGRAM = `
  const { spawn } = require("child_process");
  const { Worker } = require("worker_threads");
  new Worker("setInterval(() => {}, 1000)", { eval: true });
  const grandchild = spawn(process.execPath, ["-e",
    "new (require('worker_threads').Worker)('setInterval(() => {}, 1000)', { eval: true }); setTimeout(() => {}, 30000); console.log('up')"],
    { stdio: ["ignore", "pipe", "inherit"] });
  grandchild.stdout.once("data", () => console.log("ready " + process.pid + " " + grandchild.pid));
  setTimeout(() => process.exit(0), 30000);`;

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.pid === undefined) continue;
    for (const pid of processTree(child.pid).reverse()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
});

async function startTree(argv: string[]): Promise<number[]> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  started.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child.once("exit", (code) => reject(new Error(`tree exited ${code} before ready`)));
    setTimeout(() => reject(new Error("tree not ready within 10 s")), 10_000);
  });
  const [, childPid, grandchildPid] = line.split(" ").map(Number);
  const tree = processTree(child.pid!);
  expect(tree).toContain(childPid);
  expect(tree).toContain(grandchildPid);
  return tree;
}

/** Cpus_allowed_list of every thread of every process of the tree. */
function treeAffinities(tree: number[]): string[] {
  return tree.flatMap((pid) => readdirSync(`/proc/${pid}/task`).map((tid) => formatCpuList(allowedCpus(`${pid}/task/${tid}`))));
}

describe("pinning real process trees", () => {
  const online = readOnlineCpus();
  const first = online[0]!;
  const last = online.at(-1)!;

  it("a tree started pinned keeps the set in every process and thread", async () => {
    const tree = await startTree(pinnedArgv([first], [process.execPath, "-e", TREE_PROGRAM]));
    expect(tree.length).toBeGreaterThanOrEqual(2); // node itself (taskset execs into it) and the grandchild
    const affinities = treeAffinities(tree);
    expect(affinities.length).toBeGreaterThanOrEqual(4); // each process has a worker thread at least
    expect(new Set(affinities)).toEqual(new Set([`${first}`]));
  });

  it("pinProcessTree moves every thread of a running tree", async () => {
    const tree = await startTree([process.execPath, "-e", TREE_PROGRAM]);
    expect(treeAffinities(tree)).toContain(formatCpuList(online)); // unpinned before
    const pinned = await pinProcessTree(tree[0]!, [last]);
    expect(new Set(pinned)).toEqual(new Set(tree));
    expect(new Set(treeAffinities(tree))).toEqual(new Set([`${last}`]));
  });

  it("pinning to a CPU that does not exist fails with taskset's reason", async () => {
    const tree = await startTree([process.execPath, "-e", TREE_PROGRAM]);
    await expect(pinProcessTree(tree[0]!, [last + 4096])).rejects.toThrow(/cannot pin process \d+ to CPUs \d+/);
  });
});
