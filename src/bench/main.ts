/**
 * `npm run bench`: the tcpsweep client and server against the native measuring sticks in
 * bench/native, in one session, written to bench/RESULTS.md (tables also on stdout, progress on stderr).
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { Progress } from "../output/progress.js";
import { planAccept } from "./accept-jain.js";
import {
  compareClients,
  compareServers,
  estimateSeconds,
  measurePerturbation,
  plannedRuns,
  profilerChoices,
  type BenchContext,
} from "./experiments.js";
import { describeMachine } from "./machine.js";
import {
  checkOpenFileLimit,
  commandLine,
  rawDirFor,
  readIfExists,
  runAcceptOnly,
  runScaleOnly,
  runWarmClientOnly,
  writeWarmClient,
} from "./on-request.js";
import { ON_REQUEST_SECTIONS, parseBenchOptions, type BenchSection } from "./options.js";
import { ProcessScope, SetupError, buildNativeTools } from "./processes.js";
import { nodeBinaries } from "./nodes.js";
import { measureOverhead } from "./overhead.js";
import {
  SECTION_HEADINGS,
  carriedOverFindings,
  renderResults,
  renderTables,
  spliceSection,
  withSectionProvenance,
  type BenchResults,
} from "./report.js";
import { measureWarmClient } from "./warm-client.js";

/** Runs a section; if it cannot run at all (e.g. a server will not start), says why and goes on with the next. */
async function section<T>(ctx: BenchContext, name: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    const message = `${name}: ${(error as Error).message}`;
    ctx.failures.push(message);
    ctx.progress.message(`FAILED ${message}`);
    return undefined;
  }
}

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2));
  const startedAt = new Date();
  const scope = new ProcessScope();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(
      `\n${signal}: stopping every process the benchmark started; ${path.relative(process.cwd(), options.resultsFile)} is left as it was\n`,
    );
    void scope.stopAll().then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    if (options.only === "scale") return await runScaleOnly(options, scope, startedAt);
    if (options.only === "warm-client") return await runWarmClientOnly(options, scope, startedAt);
    if (options.only === "accept") {
      checkOpenFileLimit(Math.max(...(await planAccept({ options })).cells.map((cell) => cell.connections)));
      return await runAcceptOnly(options, scope, startedAt);
    }
    if (options.only !== "overhead") {
      process.stderr.write("building the native tools (bench/native/build.sh)\n");
      await buildNativeTools(scope);
    }
    checkOpenFileLimit(Math.max(...options.connections));
    const clientNodes = nodeBinaries(options.nodes);
    const machine = describeMachine();
    const profilers = profilerChoices();
    for (const profiler of profilers.filter((p) => p.unavailable))
      process.stderr.write(`${profiler.name} is left out: ${profiler.unavailable}\n`);
    const usableProfilers = profilers.filter((p) => !p.unavailable).length;

    const perfUnavailable = profilers.find((p) => p.name === "perf")?.unavailable;
    const expectedS = estimateSeconds(options, usableProfilers, !perfUnavailable);
    const totalRuns = plannedRuns(options, usableProfilers, !perfUnavailable);
    process.stderr.write(
      `${totalRuns} runs of ${options.warmupS} s warmup + ${options.durationS} s window; expected to take about ${Math.ceil(expectedS / 60)} min (${Math.round(expectedS)} s)\n`,
    );
    if (machine.loadAtStart >= 1)
      process.stderr.write(
        `warning: load average is ${machine.loadAtStart.toFixed(2)}: something else is using the machine, expect noisy numbers\n`,
      );

    const rawDir = rawDirFor(startedAt);
    const ctx: BenchContext = {
      options,
      scope,
      progress: new Progress(totalRuns, expectedS / totalRuns),
      rawDir,
      failures: [],
      clientNodes,
    };

    const wanted = (name: BenchSection) => options.only === name || (!options.only && !ON_REQUEST_SECTIONS.includes(name));
    const clients = wanted("clients") ? await section(ctx, "client comparison", () => compareClients(ctx)) : undefined;
    const servers = wanted("servers") ? await section(ctx, "server comparison", () => compareServers(ctx)) : undefined;
    const perturbation = wanted("profilers")
      ? await section(ctx, "profiler perturbation", () => measurePerturbation(ctx, profilers))
      : undefined;
    const overhead = wanted("overhead") ? await section(ctx, "sweep overhead", () => measureOverhead(ctx, perfUnavailable)) : undefined;
    const warmClient = wanted("warm-client") ? await section(ctx, "warm-client", () => measureWarmClient(ctx, perfUnavailable)) : undefined;

    const results: BenchResults = {
      startedAt: startedAt.toISOString(),
      commandLine: commandLine(),
      options,
      machine,
      elapsedS: (Date.now() - startedAt.getTime()) / 1000,
      clients: clients ?? [],
      servers: servers ?? [],
      perturbation,
      overhead,
      failures: ctx.failures,
      rawDir,
    };
    writeFileSync(path.join(rawDir, "runs.json"), `${JSON.stringify(results, null, 2)}\n`);
    const previous = readIfExists(options.resultsFile);
    const rendered = renderResults(results, carriedOverFindings(previous));
    // --only: the other sections of RESULTS.md stay as their last full run wrote them.
    const heading = options.only && SECTION_HEADINGS[options.only];
    writeFileSync(
      options.resultsFile,
      heading && previous ? spliceSection(previous, withSectionProvenance(rendered, heading, results), heading) : rendered,
    );
    process.stdout.write(`${renderTables(results)}\n`);
    if (warmClient) {
      const failures = ctx.failures.filter((failure) => failure.startsWith("warm-client:"));
      writeWarmClient(options, {
        results: warmClient,
        startedAt: results.startedAt,
        commandLine: results.commandLine,
        machine,
        loadAtEnd: loadavg()[0] ?? 0,
        failures,
      });
    }
    process.stderr.write(
      `\ntook ${Math.round(results.elapsedS)} s (expected ${Math.round(expectedS)} s); wrote ${path.relative(process.cwd(), options.resultsFile)}` +
        `${ctx.failures.length > 0 ? `; ${ctx.failures.length} failure(s), listed there` : ""}\n`,
    );
    return ctx.failures.length > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    process.stderr.write(`bench: ${error.message}\n`);
    return 2;
  } finally {
    await scope.stopAll();
  }
}

process.exitCode = await main();
