/**
 * tcpsweep's own package and build: where it is installed, package.json's version, and the string
 * that identifies the build (`tcpsweep 0.2.0 (git 1a2b3c4-dirty, node v24.22.3)`), which
 * `--version` prints, meta.json records, and the remote preflight and `compare --strict-env` compare.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The package root (src/ and dist/ are one level below it). */
export const TCPSWEEP_ROOT = path.dirname(fileURLToPath(new URL("../package.json", import.meta.url)));

/** Written by scripts/stamp-build.mjs after tsc: the commit a copy without .git (npm pack, a copied dist) was built from. */
export const BUILD_INFO_FILE = path.join(TCPSWEEP_ROOT, "dist", "build-info.json");

let cached: string | undefined | null = null;

/** package.json's version; undefined when it cannot be read (a broken install): callers say what they show instead. */
export function tcpsweepVersion(): string | undefined {
  if (cached === null) {
    try {
      cached = (JSON.parse(readFileSync(path.join(TCPSWEEP_ROOT, "package.json"), "utf8")) as { version?: string }).version;
    } catch {
      cached = undefined;
    }
  }
  return cached;
}

function git(args: string[]): string | null {
  try {
    // GIT_OPTIONAL_LOCKS=0: `describe --dirty` must not take the index lock of a checkout someone is working in.
    const out = execFileSync("git", args, {
      cwd: TCPSWEEP_ROOT,
      encoding: "utf8",
      timeout: 5000,
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" },
    });
    return out.trim() || null;
  } catch {
    return null;
  }
}

function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

let cachedDescribe: string | null | undefined;

/**
 * `git describe --always --dirty` of tcpsweep's own checkout, read now (so an edit since the build
 * shows as -dirty); only when tcpsweep is the checkout's top level, not a package inside someone
 * else's repository. Outside a checkout: the commit stamped at build time, else null.
 */
export function tcpsweepGitDescribe(): string | null {
  if (cachedDescribe === undefined) {
    const toplevel = git(["rev-parse", "--show-toplevel"]);
    if (toplevel && sameDir(toplevel, TCPSWEEP_ROOT)) cachedDescribe = git(["describe", "--always", "--dirty"]);
    else cachedDescribe = stampedDescribe();
  }
  return cachedDescribe;
}

function stampedDescribe(): string | null {
  try {
    const stamp = JSON.parse(readFileSync(BUILD_INFO_FILE, "utf8")) as { git_describe?: unknown };
    return typeof stamp.git_describe === "string" && stamp.git_describe !== "" ? stamp.git_describe : null;
  } catch {
    return null;
  }
}

/** `tcpsweep 0.2.0 (git 1a2b3c4-dirty, node v24.22.3)`: what identifies this build; "git unknown" when neither git nor a stamp says. */
export function tcpsweepBuild(): string {
  return `tcpsweep ${tcpsweepVersion() ?? "unknown"} (git ${tcpsweepGitDescribe() ?? "unknown"}, node ${process.version})`;
}
