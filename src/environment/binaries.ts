/** What a program is: where argv[0] resolves, its sha256, and the git checkout it comes from. Best effort: null, never a throw. */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { constants as fsConstants, createReadStream } from "node:fs";
import { access, realpath, stat } from "node:fs/promises";
import path from "node:path";

export interface BinaryMeta {
  /** argv[0] as the spec gives it (placeholders expanded). */
  argv0: string;
  /** Where it resolves (PATH lookup, or against the command's cwd); null when not found. */
  path: string | null;
  /** `path` with symlinks resolved: the file hashed, and whose directory git runs in. */
  realpath: string | null;
  sha256: string | null;
  /** `git describe --always --dirty` of the repository the binary is in; null outside one or without git. */
  git_describe: string | null;
  /** That repository's top level. */
  git_toplevel: string | null;
}

function run(command: string, args: string[], cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    // GIT_OPTIONAL_LOCKS=0: `describe --dirty` must not take the index lock of a repository someone is working in.
    execFile(command, args, { cwd, timeout: 5000, env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } }, (error, stdout) =>
      resolve(error ? null : stdout.trim() || null),
    );
  });
}

/** The repository `dir` is in and its `git describe --always --dirty`; nulls outside one or without git. */
export async function gitInfo(dir: string): Promise<{ describe: string | null; toplevel: string | null }> {
  const toplevel = await run("git", ["rev-parse", "--show-toplevel"], dir);
  if (!toplevel) return { describe: null, toplevel: null };
  return { describe: await run("git", ["describe", "--always", "--dirty"], dir), toplevel };
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** argv[0] as the kernel would find it: through PATH when it has no slash, else against `cwd`. */
export async function resolveProgram(argv0: string, cwd: string, envPath = process.env.PATH ?? ""): Promise<string | null> {
  if (argv0.includes("/")) {
    const file = path.resolve(cwd, argv0);
    return (await isExecutableFile(file)) ? file : null;
  }
  for (const dir of envPath.split(":")) {
    const file = path.resolve(cwd, dir || ".", argv0);
    if (await isExecutableFile(file)) return file;
  }
  return null;
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("error", reject)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/** Describes `argv0` as run from `cwd` with `envPath` as PATH. */
export async function binaryMeta(argv0: string, cwd: string, envPath?: string): Promise<BinaryMeta> {
  const found = await resolveProgram(argv0, cwd, envPath ?? process.env.PATH);
  const meta: BinaryMeta = { argv0, path: found, realpath: null, sha256: null, git_describe: null, git_toplevel: null };
  if (!found) return meta;
  try {
    meta.realpath = await realpath(found);
    meta.sha256 = await sha256File(meta.realpath);
  } catch {
    return meta;
  }
  const git = await gitInfo(path.dirname(meta.realpath));
  meta.git_describe = git.describe;
  meta.git_toplevel = git.toplevel;
  return meta;
}
