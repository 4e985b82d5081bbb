import type { Command } from "commander";

/** `tcpsweep nightly-paths SPEC --root DIR --night DATE`: the night's file names as shell assignments, for scripts/nightly.sh (hidden). */
export function registerNightlyPathsCommand(program: Command): void {
  program
    .command("nightly-paths", { hidden: true })
    .description("the nightly layout's file names of a night, as shell assignments (scripts/nightly.sh evals them)")
    .argument("<spec>", "the nightly's spec file")
    .requiredOption("--root <dir>", "the nightly directory")
    .requiredOption("--night <date>", "the night's directory name (YYYY-MM-DD)")
    .action(async (spec: string, flags: { root: string; night: string }) => {
      const { nightlyPaths, shellAssignments } = await import("../rundir/nightly-layout.js");
      process.stdout.write(shellAssignments(nightlyPaths(flags.root, flags.night, spec)));
    });
}
