#!/usr/bin/env node
// After tsc: records the commit dist/ was built from in dist/build-info.json, so a copy without
// .git (npm pack, a copied checkout) still says which build it is in `tcpsweep --version`.
// In a checkout tcpsweep reads git itself at run time (src/version.ts); outside one, this stamp.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
let describe = null;
try {
  const toplevel = execFileSync("git", ["rev-parse", "--show-toplevel"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
  if (path.resolve(toplevel) === path.resolve(root)) {
    describe =
      execFileSync("git", ["describe", "--always", "--dirty"], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" },
      }).trim() || null;
  }
} catch {
  // no git, or not a checkout: the stamp says so (null) and --version prints "git unknown"
}
mkdirSync(path.join(root, "dist"), { recursive: true });
writeFileSync(
  path.join(root, "dist", "build-info.json"),
  `${JSON.stringify({ git_describe: describe, built_at: new Date().toISOString() }, null, 2)}\n`,
);
