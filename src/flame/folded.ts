/**
 * Folded stacks, Brendan Gregg's format: one stack per line, frames root first joined by `;`, a
 * space, a sample count (`node;main;read_[k] 42`). Kernel frames end in `_[k]` (stackcollapse-perf's
 * --kernel convention), so the file alone says which samples were in the kernel.
 *
 * `collapsePerfScript` turns `perf script` text into folded stacks. It is written here rather than
 * shelling out to stackcollapse-perf.pl (Perl, not packaged with perf) or `perf script report
 * stackcollapse` (needs perf's Python scripting, often missing): docs/decisions.md.
 */

export const KERNEL_SUFFIX = "_[k]";

/** Stacks and their sample counts. */
export type Folded = Map<string, number>;

/** Control characters never reach a file, an SVG or a terminal; `;` would split a frame. */
export function cleanFrame(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, "").replace(/;/g, ":");
}

/** Parses folded text; lines that are not `stack count` are ignored (a truncated last line). */
export function parseFolded(text: string): Folded {
  const folded: Folded = new Map();
  for (const line of text.split("\n")) {
    const match = /^(.+) (\d+)$/.exec(line.trimEnd());
    if (!match) continue;
    folded.set(match[1]!, (folded.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return folded;
}

/** Folded text, heaviest stacks first. */
export function formatFolded(folded: Folded): string {
  return [...folded]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([stack, count]) => `${stack} ${count}\n`)
    .join("");
}

export const totalSamples = (folded: Folded) => [...folded.values()].reduce((sum, n) => sum + n, 0);

const leafOf = (stack: string) => stack.slice(stack.lastIndexOf(";") + 1);

/** Share of samples whose innermost frame was in the kernel (0–1), undefined without samples. */
export function kernelShare(folded: Folded): number | undefined {
  const total = totalSamples(folded);
  if (total === 0) return undefined;
  let kernel = 0;
  for (const [stack, count] of folded) if (leafOf(stack).endsWith(KERNEL_SUFFIX)) kernel += count;
  return kernel / total;
}

/** Frames by self time (samples where they were the innermost frame), heaviest first. */
export function topSelfFrames(folded: Folded, limit: number): { frame: string; samples: number; share: number }[] {
  const total = totalSamples(folded);
  const self = new Map<string, number>();
  for (const [stack, count] of folded) self.set(leafOf(stack), (self.get(leafOf(stack)) ?? 0) + count);
  return [...self]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([frame, samples]) => ({ frame, samples, share: total ? samples / total : 0 }));
}

/** `   ffffffff8103ce3b native_safe_halt+0x5 ([kernel.kallsyms])`: address, symbol, object. */
const FRAME_LINE = /^\s+([0-9a-f]+)\s+(.*?)\s*\(([^()]*(?:\([^()]*\))?[^()]*)\)\s*$/;

/** One `perf script` frame as a folded frame name. */
function frameName(address: string, symbol: string, object: string): { name: string; unresolved: boolean } {
  const kernel = object.startsWith("[kernel") || (object !== "[unknown]" && /^ffff/.test(address));
  if (symbol === "" || symbol === "[unknown]") {
    // A stripped binary: its address and object, so the graph still says where the time went.
    const base = object.split("/").pop() || "?";
    return { name: cleanFrame(`0x${address} (${base})${kernel ? KERNEL_SUFFIX : ""}`), unresolved: true };
  }
  const withoutOffset = symbol.replace(/\+0x[0-9a-f]+$/, "");
  return { name: cleanFrame(withoutOffset) + (kernel ? KERNEL_SUFFIX : ""), unresolved: false };
}

export interface Collapsed {
  folded: Folded;
  /** User-space frames perf could not name (a stripped binary, a JIT without a perf map), out of all frames. */
  unresolvedFrames: number;
  frames: number;
  kernelFrames: number;
  /** Samples with at least one frame in a named file that perf could not name (a stripped binary). */
  samplesWithUnnamedCode: number;
  /** Samples whose innermost frame is in user space, and those of them in such a file. */
  userLeafSamples: number;
  unnamedLeafSamples: number;
}

/**
 * `perf script` output (an event header line, then one indented line per frame, innermost
 * first, then a blank line) → folded stacks rooted at the process name.
 */
export function collapsePerfScript(text: string): Collapsed {
  const folded: Folded = new Map();
  let unresolvedFrames = 0;
  let frames = 0;
  let kernelFrames = 0;
  let samplesWithUnnamedCode = 0;
  let userLeafSamples = 0;
  let unnamedLeafSamples = 0;
  let unnamedCode = false;
  let unnamedLeaf = false;
  let comm: string | undefined;
  let stack: string[] = [];
  const flush = () => {
    if (comm !== undefined && stack.length > 0) {
      // perf script lists the innermost frame first; folded stacks run from the root.
      const leaf = stack[0]!;
      const key = [cleanFrame(comm), ...stack.reverse()].join(";");
      folded.set(key, (folded.get(key) ?? 0) + 1);
      if (unnamedCode) samplesWithUnnamedCode++;
      if (!leaf.endsWith(KERNEL_SUFFIX)) userLeafSamples++;
      if (unnamedLeaf) unnamedLeafSamples++;
    }
    comm = undefined;
    stack = [];
    unnamedCode = false;
    unnamedLeaf = false;
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      flush();
      continue;
    }
    if (/^\S/.test(line)) {
      flush();
      // `comm pid/tid [cpu] time: period event:`; comm may hold spaces, so it is everything before the pid.
      comm = /^(.*?)\s+\d+(?:\/\d+)?\s/.exec(line)?.[1] ?? line.split(/\s/)[0];
      continue;
    }
    const frame = FRAME_LINE.exec(line);
    if (!frame || comm === undefined) continue;
    const { name, unresolved } = frameName(frame[1]!, frame[2]!, frame[3]!);
    frames++;
    if (name.endsWith(KERNEL_SUFFIX)) kernelFrames++;
    if (unresolved && !name.endsWith(KERNEL_SUFFIX)) unresolvedFrames++;
    // An object file perf could not name a symbol in (`[unknown]` objects are broken unwinding, not a stripped binary).
    if (unresolved && frame[3]!.startsWith("/")) {
      unnamedCode = true;
      if (stack.length === 0) unnamedLeaf = true;
    }
    stack.push(name);
  }
  flush();
  return { folded, unresolvedFrames, frames, kernelFrames, samplesWithUnnamedCode, userLeafSamples, unnamedLeafSamples };
}
