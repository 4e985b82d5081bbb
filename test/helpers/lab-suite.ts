/** One lab (test/helpers/lab.ts) and one scratch directory for a test file: made before its tests, removed after. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
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
