import { defineConfig } from "vitest/config";

// Files whose figures another file's sweeps on the same 2 cores would change (the reference server's
// fairness at 4000 connections; 20 nights of which only one may show a step, where another file
// starting or ending mid-way made a second step once in CI): they run after the rest, one at a time,
// with the machine to themselves.
const measuring = ["test/validity.test.ts", "test/readiness-state.test.ts", "test/history-real-nights.test.ts"];

export default defineConfig({
  test: {
    // Installs (root, Debian) or names the system tools the suite runs: strace, perf, chromium, git, ...
    globalSetup: ["test/setup/system-tools.ts"],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        // Two files at a time: the whole suite 14.9 minutes one file at a time, 9.4 this way on the
        // quiet 2-core machine; with 107 files, 767 s this way and 852 s four at a time (docs/development.md).
        // Every file makes its own ports, directories and processes, so files do not share anything
        // but the CPUs (docs/development.md).
        test: { name: "together", include: ["test/**/*.test.ts"], exclude: measuring, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: "alone", include: measuring, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
