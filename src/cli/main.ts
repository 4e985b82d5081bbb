#!/usr/bin/env node
/**
 * tcpsweep's entry point: checks the Node version first, then loads the command line. Everything
 * else arrives by a dynamic import, so an unsupported Node gets one line and exit 2 instead of a
 * syntax or link error from a module it cannot load. Plain syntax here too (see node-version.ts).
 */
import { nodeVersionProblem } from "../node-version.js";

const problem = nodeVersionProblem(process.version, process.execPath);
if (problem !== undefined) {
  process.stderr.write(problem + "\n");
  process.exit(2);
}
import("./program.js").catch(function (error) {
  process.stderr.write(
    "tcpsweep: cannot load its command line (" +
      String(error instanceof Error ? error.message.split("\n")[0] : error) +
      "); run npm run build, or reinstall\n",
  );
  process.exit(3);
});
