/**
 * The Node binaries the client comparison runs the tcpsweep client under: the one running the
 * benchmark, then each `--node` / TCPSWEEP_BENCH_NODES one, each asked for its version.
 */
import { realpathSync } from "node:fs";
import { execaSync } from "execa";
import { SetupError } from "./processes.js";

export interface NodeBinary {
  path: string;
  /** `process.version` of that binary, e.g. "v24.22.3". */
  version: string;
}

/** `process.execPath` first, then `extra` in order, duplicates (same file) once; every problem at once. */
export function nodeBinaries(extra: readonly string[]): NodeBinary[] {
  const binaries: NodeBinary[] = [{ path: process.execPath, version: process.version }];
  const seen = new Set([realpathSync(process.execPath)]);
  const problems: string[] = [];
  for (const candidate of extra) {
    const result = execaSync(candidate, ["-p", "process.version"], { reject: false });
    const version = String(result.stdout ?? "").trim();
    if (result.failed || !/^v\d+\.\d+\.\d+/.test(version)) {
      const why =
        result.code === "ENOENT"
          ? "no such file"
          : result.code === "EACCES"
            ? "not executable"
            : (result.shortMessage ?? "no version printed");
      problems.push(
        `--node ${candidate}: not a Node binary that runs here (${why}); give the path of a node executable, e.g. /opt/node-lts/n24/package/bin/node`,
      );
      continue;
    }
    const real = realpathSync(candidate);
    if (seen.has(real)) continue;
    seen.add(real);
    binaries.push({ path: candidate, version });
  }
  if (problems.length > 0) throw new SetupError(problems.join("\n"));
  return binaries;
}
