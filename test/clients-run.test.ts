/**
 * Clients side by side on real processes: the built-in client against the same client started as an
 * external command (`parser: json`), one built-in server, 2 repeats, short windows. The CSV's client
 * column, the rotated order, the verdicts per cell (from the run's end and from `compare --by client`)
 * and the report's one line per client.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CLI, NODE, killRunningClis, makeTempDir, readCsv, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

describe("the built-in client against an external one", () => {
  const dir = makeTempDir();
  const file = writeSpec(dir, {
    name: "clients",
    duration: "0.5s",
    warmup: "0.2s",
    repeat: 2,
    matrix: { connections: [2, 4] },
    server: { builtin: true },
    clients: {
      builtin: { builtin: true },
      // {duration_s} / {warmup_s}: the exact window, as the built-in client gets it
      external: {
        command: [NODE, CLI, "client", "-a", "{address}", "-c", "{connections}", "-t", "{duration_s}", "--warmup", "{warmup_s}", "--json"],
        parser: "json",
      },
    },
    output: { csv: "clients.csv", mode: "new" },
  });

  it(
    "writes a client column, rotates builtin external / external builtin, and gives a verdict per cell",
    { timeout: 300_000 },
    async () => {
      const result = await runCli(["run", file], { cwd: dir, timeoutMs: 280_000 });
      expect(result.code, result.stderr).toBe(0);
      const { header, rows } = readCsv(path.join(dir, "clients.csv"));
      expect(header.slice(header.indexOf("connections"), header.indexOf("connections") + 2)).toEqual(["connections", "client"]);
      expect(rows).toHaveLength(8);
      for (const row of rows) {
        expect(row.status, row.error).toBe("ok");
        expect(row.cell).toBe(`connections=${row.connections},client=${row.client}`);
        expect(Number(row.responses)).toBeGreaterThan(0);
      }
      for (const connections of ["2", "4"]) {
        const order = (repeat: number) =>
          rows
            .filter((r) => r.connections === connections && r.repeat === String(repeat))
            .sort((a, b) => a.started_at!.localeCompare(b.started_at!))
            .map((r) => r.client);
        expect([order(1), order(2)]).toEqual([
          ["builtin", "external"],
          ["external", "builtin"],
        ]);
        // a cell's two clients run back to back: no other cell's run starts between them
        const all = [...rows].sort((a, b) => a.started_at!.localeCompare(b.started_at!));
        const at = all.map((r, i) => (r.connections === connections && r.repeat === "1" ? i : -1)).filter((i) => i >= 0);
        expect(at[1]! - at[0]!).toBe(1);
      }
      // The end of the run: verdicts by client, one resp/s line per cell.
      const verdicts = result.stderr.slice(result.stderr.indexOf("verdicts by client")).split("\n");
      expect(verdicts[0], result.stderr).toMatch(/^verdicts by client \(each against the best\)/);
      for (const cell of ["connections=2", "connections=4"]) {
        expect(
          verdicts.filter((l) => /resp\/s/.test(l) && l.includes(` at ${cell}`) && /builtin/.test(l) && /external/.test(l)),
        ).toHaveLength(1);
      }
      // The same from the CSV afterwards.
      const compared = await runCli(["compare", "clients.csv", "--by", "client"], { cwd: dir });
      expect(compared.code, compared.stderr).toBe(0);
      for (const cell of ["connections=2", "connections=4"]) {
        expect(
          compared.stdout.split("\n").filter((l) => /resp\/s/.test(l) && l.includes(`${cell}`) && /builtin/.test(l) && /external/.test(l)),
        ).toHaveLength(1);
      }
      expect(compared.stdout).toMatch(
        /^ {2}builtin: \d+ wins, \d+ losses, \d+ ties; geometric mean \d+\.\d\d× the resp\/s of the clients it was compared with$/m,
      );
      expect(compared.stdout).toMatch(/^ {2}external: \d+ wins, /m);
      // The report: one line per client in the throughput chart, and the verdicts by client.
      const report = await runCli(["report", "clients.csv", "--out", "report"], { cwd: dir });
      expect(report.code, report.stderr).toBe(0);
      const svg = readFileSync(path.join(dir, "report/throughput.svg"), "utf8");
      for (const label of [">client<", ">builtin<", ">external<"]) expect(svg).toContain(label);
      expect(readFileSync(path.join(dir, "report/index.html"), "utf8")).toMatch(
        /<h2>Verdicts<\/h2>\n<pre class="verdicts">verdicts by client /,
      );
    },
  );
});

describe("run --dry-run with clients:", () => {
  const dir = makeTempDir();
  const file = writeSpec(dir, {
    name: "missing",
    matrix: { connections: [1] },
    server: { builtin: true },
    clients: { builtin: { builtin: true }, gone: { command: ["./no-such-client", "{address}"], parser: "json" } },
  });

  it("looks up every named client's program, not only the first one's", async () => {
    const result = await runCli(["run", file, "--dry-run"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr + result.stdout).toContain('client program "./no-such-client": no executable file at ./no-such-client');
  });
});
