/**
 * Fitting compare's text to a terminal of TERMINAL_WIDTH columns: words wrapped at spaces,
 * continuation lines indented. Hand-written (a dozen lines) rather than wrap-ansi: the text is plain
 * (no colours), and the project does not add a dependency for this (docs/decisions.md).
 */
export const TERMINAL_WIDTH = 100;

/**
 * `text` in lines of at most `width` columns (the first at most `firstWidth`; a single word longer
 * than that stays whole), the later ones after `indent`; the text's own leading spaces are kept.
 */
export function wrapText(text: string, width = TERMINAL_WIDTH, indent = "    ", firstWidth = width): string[] {
  const lead = /^ */.exec(text)![0];
  const lines: string[] = [];
  let line = lead;
  for (const word of text.slice(lead.length).split(" ")) {
    const candidate = line.trim() === "" ? `${line}${word}` : `${line} ${word}`;
    const limit = lines.length === 0 ? firstWidth : width - indent.length;
    if (line.trim() !== "" && [...candidate].length > limit) {
      lines.push(line);
      line = word;
    } else line = candidate;
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${indent}${l}`));
}
