/** `compare --by` and a run's verdicts as text (each line under 100 columns but for long cell ids), markdown, or JSON-ready. */
import { escapeMarkdown } from "../untrusted/markdown.js";
import type { DimensionVerdicts, PairVerdict } from "./by-dimension.js";
import { repeatAdvice } from "./detectable.js";
import { familyText } from "./engine.js";
import { formatP } from "./compare.js";
import { TEST_MODE_TEXT } from "./two-sample-test.js";

const times = (x: number) => `${x.toFixed(2)}×`;
const interval = (pair: PairVerdict) => (pair.ci ? ` [${pair.ci.low.toFixed(2)}, ${pair.ci.high.toFixed(2)}]` : "");
const each = (pair: PairVerdict) =>
  pair.n.better === pair.n.worse ? `${pair.n.better} repeats each` : `${pair.n.better} and ${pair.n.worse} ok repeats`;
const pText = (pair: PairVerdict) => `${pair.test ? `${pair.test} ` : ""}p=${formatP(pair.pAdjusted)}`;

/** Why a `~` is a `~`: too few repeats for the test, significant but within the threshold, blind, or nothing seen. */
function whyNoDifference(pair: PairVerdict, v: DimensionVerdicts): string {
  const n = Math.min(pair.n.better, pair.n.worse);
  if (pair.test === "rank" && n < v.repeatsNeeded) return `the rank test needs ≥ ${v.repeatsNeeded} repeats each to show any difference`;
  if (pair.pAdjusted !== undefined && pair.pAdjusted < v.alpha)
    return `significant, but the interval reaches within ±${v.thresholdPct}%: not a difference that counts`;
  if (pair.detectablePct !== undefined && !(pair.detectablePct <= v.thresholdPct)) {
    const advice = repeatAdvice(pair.repeatsToSee, "it");
    return advice.startsWith("run") ? `cannot see a ${v.thresholdPct}% change with ${n} repeats: ${advice}` : advice;
  }
  return `no difference beyond ±${v.thresholdPct}% seen`;
}

/**
 * A pair's verdict, and for a `~` or a degraded winner why, on a line of its own (so lines stay short):
 * `epoll ran 1.31× [1.22, 1.40] the resp/s of uring at connections=1000,threads=4 (welch p=0.002, 7 repeats each)`
 */
export function formatPair(pair: PairVerdict, v: DimensionVerdicts): { verdict: string; why?: string } {
  const verb = pair.metric === "resp/s" ? "ran" : "had";
  const at = pair.cell ? ` at ${pair.cell}` : "";
  const stats = `${pText(pair)}, ${each(pair)}`;
  switch (pair.verdict) {
    case "win":
      return {
        verdict: `${pair.better} ${verb} ${times(pair.ratio)}${interval(pair)} the ${pair.metric} of ${pair.worse}${at} (${stats})`,
      };
    case "degraded":
      return {
        verdict: `${pair.better} ${verb} ${times(pair.ratio)}${interval(pair)} the ${pair.metric} of ${pair.worse}${at}, but does not win:`,
        why: `${pair.better} was not ok in every run here (see below)`,
      };
    case "too few repeats":
      return {
        verdict: `~ ${pair.better} vs ${pair.worse} ${pair.metric}${at}: ${times(pair.ratio)}, too few ok repeats (${each(pair)})`,
        why: `needs ${v.repeatsNeeded} each`,
      };
    default:
      return {
        verdict: `~ ${pair.better} vs ${pair.worse} ${pair.metric}${at}: ${times(pair.ratio)}${interval(pair)} (${stats})`,
        why: whyNoDifference(pair, v),
      };
  }
}

const confidence = (v: DimensionVerdicts) => `${Math.round((1 - v.alpha) * 100)}%`;
const against = (v: DimensionVerdicts) => (v.baseline !== undefined ? `each against the baseline ${v.baseline}` : "each against the best");
const noteText = (note: DimensionVerdicts["notOk"][number]) =>
  `${note.value} at ${note.cell || "(all)"}: ${note.statuses.join("/")} in ${note.notOk} of ${note.total} repeats (${note.reason}); it cannot win this cell`;
const tallyText = (v: DimensionVerdicts, t: DimensionVerdicts["tallies"][number]) =>
  `${t.value}: ${t.wins} wins, ${t.losses} losses, ${t.ties} ties; geometric mean ${t.geomean === undefined ? "-" : times(t.geomean)} the resp/s of the ${v.key}s it was compared with`;
const overallText = (v: DimensionVerdicts) => (v.overall ? `${v.overall} won every cell` : `no ${v.key} won every cell`);

export function formatVerdicts(v: DimensionVerdicts): string {
  return [
    `verdicts by ${v.key} (${against(v)}):`,
    `  ${TEST_MODE_TEXT[v.testMode]};`,
    `  ${familyText({ tests: v.tests, planned: v.plannedTests })};`,
    `  a win needs p < ${v.alpha} and the ${confidence(v)} intervals wholly beyond ±${v.thresholdPct}%`,
    ...v.pairs.flatMap((pair) => {
      const { verdict, why } = formatPair(pair, v);
      return why ? [`  ${verdict}`, `      ${why}`] : [`  ${verdict}`];
    }),
    ...v.notOk.map((note) => `  ! ${noteText(note)}`),
    `over the matrix (resp/s):`,
    ...v.tallies.map((t) => `  ${tallyText(v, t)}`),
    `  ${overallText(v)}`,
  ].join("\n");
}

/** `~: no difference beyond ±5% seen`, `too few repeats: needs 5 each` */
function verdictWithReason(pair: PairVerdict, v: DimensionVerdicts): string {
  const { why } = formatPair(pair, v);
  return why ? `${pair.verdict}: ${why}` : pair.verdict;
}

/** The verdicts as a GitHub-flavoured markdown table and lists (text from files escaped). */
export function verdictsMarkdown(v: DimensionVerdicts): string {
  const e = escapeMarkdown;
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const header = ["cell", "metric", "better", "worse", "ratio [CI]", "p (test)", "repeats", "verdict"];
  const rows = v.pairs.map((pair) => [
    e(pair.cell || "(all)"),
    pair.metric,
    e(pair.better),
    e(pair.worse),
    `${times(pair.ratio)}${interval(pair)}`,
    pair.pAdjusted === undefined ? "-" : `${formatP(pair.pAdjusted)} ${pair.test ?? ""}`.trim(),
    `${pair.n.better}/${pair.n.worse}`,
    pair.verdict === "win" ? `**${e(pair.better)} wins**` : e(verdictWithReason(pair, v)),
  ]);
  return [
    `**verdicts by ${e(v.key)}** (${e(against(v))}): ${TEST_MODE_TEXT[v.testMode]}, ${familyText({ tests: v.tests, planned: v.plannedTests })}; ` +
      `a win needs p < ${v.alpha} and the ${confidence(v)} interval wholly beyond ±${v.thresholdPct}%`,
    "",
    line(header),
    `|${header.map((_, i) => (i >= 4 && i <= 6 ? " ---: " : " --- ")).join("|")}|`,
    ...rows.map(line),
    "",
    ...v.notOk.map((note) => `- ! ${e(noteText(note))}`),
    ...v.tallies.map((t) => `- ${e(tallyText(v, t))}`),
    `- **${e(overallText(v))}**`,
  ].join("\n");
}
