/** Where tcpsweep's own CLI lives once built: what a sweep runs for the built-in client and server, here or on a load host. */
import { fileURLToPath } from "node:url";

/** dist/cli/main.js, next to this module's dist/entry.js. */
export function cliEntry(): string {
  return fileURLToPath(new URL("./cli/main.js", import.meta.url));
}
