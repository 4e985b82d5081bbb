// Checks CI's profiled end-to-end sweep (.ci/e2e.yaml): every cell ran ok with strace's syscall
// counts, `run --json` agrees, and the report was written. Usage: check-e2e.mjs CSV RUN_JSON REPORT_HTML NODE_VERSION
import { existsSync, readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";

const [csvFile, jsonFile, reportHtml, nodeVersion] = process.argv.slice(2);
const problems = [];
const rows = parse(readFileSync(csvFile, "utf8"), { columns: true });
const run = JSON.parse(readFileSync(jsonFile, "utf8"));
if (rows.length !== 4) problems.push(`${rows.length} rows, expected 4 (2 connections × 2 threads)`);
for (const row of rows) {
  if (row.status !== "ok") problems.push(`${row.cell}: status ${row.status}`);
  if (row.syscall_source !== "strace") problems.push(`${row.cell}: syscall_source "${row.syscall_source}", expected strace`);
  if (!(Number(row.server_syscalls_per_request) > 0) || !(Number(row.client_syscalls_per_request) > 0))
    problems.push(
      `${row.cell}: syscalls per request: server ${row.server_syscalls_per_request}, client ${row.client_syscalls_per_request}`,
    );
  if (!(Number(row.resp_per_s) > 0)) problems.push(`${row.cell}: resp_per_s ${row.resp_per_s}`);
}
if (run.exit_status !== 0) problems.push(`run --json exit_status ${run.exit_status}`);
if (!existsSync(reportHtml) || !readFileSync(reportHtml, "utf8").includes(rows[0]?.run_id ?? "no run id"))
  problems.push(`report ${reportHtml} missing or not about run ${rows[0]?.run_id}`);
if (problems.length > 0) {
  console.error(`ci: e2e sweep on Node ${nodeVersion} FAILED:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
const cells = rows
  .map(
    (row) => `${row.cell} ${Math.round(Number(row.resp_per_s))} resp/s ${Number(row.server_syscalls_per_request).toFixed(2)} syscalls/req`,
  )
  .join("; ");
console.log(`ci: e2e sweep on Node ${nodeVersion}: 4/4 cells ok, strace counted, report written (${cells})`);
