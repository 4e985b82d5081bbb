import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Installs (root, Debian) or names the system tools the suite runs: strace, perf, chromium, git, ...
    globalSetup: ["test/setup/system-tools.ts"],
    // Two files at a time: most of a file's time is spent waiting on windows, start-ups and
    // timeouts, so two share this 2-core machine's CPUs (14.9 → 7.8 min, docs/development.md).
    // Every test waits for events rather than for guessed delays, so a second file loading the
    // machine only slows it; CI runs the whole suite this way under a CPU hog on every core.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
