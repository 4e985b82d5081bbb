/**
 * Running built code as another user (e.g. `nobody`) from a checkout that user may not be able to
 * read: a clone inside a 0700 directory (what `mktemp -d` makes, and root's home) is closed to
 * everyone else. So the code that user runs is copied into a directory this helper creates, world
 * readable: the dist/ files asked for, the npm packages they import (with their dependencies),
 * and the running Node binary when its own path is closed too (a Node fetched into a private dir).
 */
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
} from "node:fs";
import path from "node:path";
import { REPO, makeTempDir } from "./sweep.js";

export interface StagedCheckout {
  /** The world-readable copy's root (holds dist/, node_modules/, package.json). */
  root: string;
  /** A Node binary that any user can run: process.execPath, or a copy of it. */
  node: string;
}

/** Whether every directory above `file` lets others through (o+x) and `file` itself has `mode` bits for others. */
function othersCanReach(file: string, mode: number): boolean {
  let dir = path.dirname(file);
  for (;;) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return (statSync(file).mode & mode) === mode;
}

/** The package directory `name` resolves to from `fromDir`, the way Node looks it up (nearest node_modules first). */
function packageDir(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === REPO || path.dirname(dir) === dir)
      throw new Error(`other-user staging: package ${name} not found from ${fromDir} (run npm ci)`);
  }
}

/** `names` and everything they depend on at run time, as package directories under REPO. */
function dependencyClosure(names: readonly string[]): Set<string> {
  const found = new Set<string>();
  const pending = names.map((name) => packageDir(name, REPO));
  while (pending.length > 0) {
    const dir = pending.pop()!;
    if (found.has(dir)) continue;
    found.add(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies ?? {})) pending.push(packageDir(dep, dir));
  }
  return found;
}

/**
 * Copies `distFiles` (paths under dist/) and the npm `packages` they import into a fresh
 * directory with mode 0755, readable by any user wherever the checkout lives (removed by removeTempDirs).
 */
export function stageForOtherUser(distFiles: readonly string[], packages: readonly string[]): StagedCheckout {
  const root = makeTempDir("tcpsweep-other-user-");
  chmodSync(root, 0o755);
  if (!othersCanReach(root, 0o005))
    throw new Error(`other-user staging: ${root} is inside a directory other users cannot enter; point TMPDIR at one they can (e.g. /tmp)`);
  copyFileSync(path.join(REPO, "package.json"), path.join(root, "package.json"));
  for (const file of distFiles) {
    const target = path.join(root, "dist", file);
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(path.join(REPO, "dist", file), target);
  }
  for (const dir of dependencyClosure(packages)) cpSync(dir, path.join(root, path.relative(REPO, dir)), { recursive: true });
  let node = process.execPath;
  if (!othersCanReach(node, 0o005)) {
    node = path.join(root, "node");
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  chmodAll(root);
  accessSync(node, constants.X_OK);
  return { root, node };
}

/** Directories 0755, files 0644 (0755 when executable): umask and the source's modes must not close the copy. */
function chmodAll(root: string): void {
  const walk = (dir: string) => {
    chmodSync(dir, 0o755);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) chmodSync(full, statSync(full).mode & 0o111 ? 0o755 : 0o644);
    }
  };
  walk(root);
}
