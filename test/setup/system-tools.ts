/**
 * Vitest global setup: makes sure every system tool the suite runs is installed before any test
 * starts. As root on a Debian-like system (apt-get present) it installs what is missing and says
 * what; otherwise it stops with one message naming the missing tools and the command to install
 * them. Tests never skip for a missing tool.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { SYSTEM_TOOLS, findExecutable, installCommand } from "../helpers/system-tools.js";

function missingTools() {
  return SYSTEM_TOOLS.filter((tool) => findExecutable(tool.names) === undefined);
}

function run(argv: string[]): void {
  const result = spawnSync(argv[0]!, argv.slice(1), {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.status !== 0)
    throw new Error(`test setup: \`${argv.join(" ")}\` failed (exit ${result.status ?? result.signal}); run it yourself to see why`);
}

export default function setup(): void {
  const missing = missingTools();
  if (missing.length === 0) return;
  const list = missing.map((tool) => `${tool.names.join("/")} (${tool.purpose})`).join(", ");
  const command = installCommand(missing);
  const canInstall = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
  if (!canInstall) {
    throw new Error(`test setup: missing ${list}. Install them (Debian/Ubuntu, as root): apt-get update && ${command}`);
  }
  process.stderr.write(`test setup: missing ${list}; installing: ${command}\n`);
  run(["apt-get", "update"]);
  run(command.split(" "));
  const still = missingTools();
  if (still.length > 0) throw new Error(`test setup: still missing after apt-get: ${still.map((tool) => tool.names.join("/")).join(", ")}`);
}
