/**
 * What `compare --flame` wrote for each cell, named beside that cell in every form of compare's
 * output (text, markdown, JSON), so the link sits where the regression is reported. Its own type,
 * not flame/'s: compare/ reads no profile.
 */
export interface CellFlame {
  cell: string;
  /** The differential flame graph written for the cell. */
  file?: string;
  /** Why there is none (a side was not CPU-profiled, or the file could not be written). */
  missing?: string;
}

/** "flame graph (NEW vs BASE): FILE" or "no flame graph: WHY"; `named`: "flame graph of CELL (NEW vs BASE): FILE", "no flame graph of CELL: WHY". */
export function flameText(flame: CellFlame, named = false): string {
  const of = named ? ` of ${flame.cell}` : "";
  return flame.file !== undefined
    ? `flame graph${of} (NEW vs BASE): ${flame.file}`
    : `no flame graph${of}: ${flame.missing ?? "not written"}`;
}

/** Is this a line of {@link withFlameLines}'s? The text form does not wrap them: a path cut at a space could not be pasted. */
export const isFlameLine = (line: string) => /^( {4})?(no )?flame graph[ :]/.test(line);

/** `flame_graph` of a cell in `--json`: null when --flame did not ask for this cell. */
export const flameJson = (flame: CellFlame | undefined) => (flame ? { file: flame.file ?? null, missing: flame.missing ?? null } : null);

/** The summary's flame lines: under each regressed cell's line, and one each for the other cells asked for (`--flame CELL`). */
export function withFlameLines(regressedLines: readonly { cell: string; line: string }[], flames: readonly CellFlame[]): string[] {
  const byCell = new Map(flames.map((flame) => [flame.cell, flame]));
  const regressed = regressedLines.flatMap(({ cell, line }) => {
    const flame = byCell.get(cell);
    return flame ? [line, `    ${flameText(flame)}`] : [line];
  });
  const shown = new Set(regressedLines.map(({ cell }) => cell));
  return [...regressed, ...flames.filter((flame) => !shown.has(flame.cell)).map((flame) => flameText(flame, true))];
}
