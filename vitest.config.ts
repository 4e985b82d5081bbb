import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Installs (root, Debian) or names the system tools the suite runs: strace, perf, chromium, git, ...
    globalSetup: ["test/setup/system-tools.ts"],
    // Tests start real servers, clients and strace on a 2-core machine: one file at a time keeps
    // them from starving each other into timeouts.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
