/** `tcpsweep report`: loaded only when that command runs, with vega behind it. */
import path from "node:path";
import { writeReport } from "../report/report.js";
import { fail, failOnBadInput } from "./exit.js";

export async function reportAction(
  csvFile: string,
  flags: { out?: string; run?: string; series?: string[]; json?: boolean },
): Promise<void> {
  let result;
  try {
    result = await writeReport(csvFile, {
      ...(flags.out !== undefined ? { out: flags.out } : {}),
      ...(flags.run !== undefined ? { run: flags.run } : {}),
      ...(flags.series !== undefined ? { series: flags.series } : {}),
    });
  } catch (error) {
    failOnBadInput("report", error, flags.json);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "ENOTDIR" || code === "EROFS" || code === "EEXIST" || code === "ENOSPC") {
      fail(`tcpsweep report: cannot write the report: ${(error as Error).message}`, 2);
    }
    throw error;
  }
  for (const warning of result.warnings) process.stderr.write(`tcpsweep report: ${warning}\n`);
  if (flags.json) {
    // What was written, with absolute paths, for scripts (nightly.sh, CI artifacts).
    const written = {
      run_id: result.data.run.runId,
      cells: result.data.cells.length,
      out_dir: path.resolve(result.outDir),
      index: path.resolve(result.indexFile),
      charts: result.charts.map((chart) => ({ id: chart.id, file: path.resolve(result.outDir, `${chart.id}.svg`) })),
      not_drawn: result.omitted,
      warnings: result.warnings,
      exit_status: 0,
    };
    process.stdout.write(`${JSON.stringify(written, null, 2)}\n`);
    return;
  }
  const relative = (file: string) => path.relative(process.cwd(), file) || ".";
  const cells = `${result.data.cells.length} cell${result.data.cells.length === 1 ? "" : "s"}`;
  process.stdout.write(`report of run ${result.data.run.runId} (${cells}): ${relative(result.indexFile)}\n`);
  process.stdout.write(`charts: ${result.charts.map((chart) => `${chart.id}.svg`).join(", ")}\n`);
  for (const omitted of result.omitted) process.stdout.write(`not drawn: ${omitted.title}: ${omitted.reason}\n`);
}
