/** tcpsweep's own package: where it is installed and its version, read once from package.json. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The package root (src/ and dist/ are one level below it). */
export const TCPSWEEP_ROOT = path.dirname(fileURLToPath(new URL("../package.json", import.meta.url)));

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
