/**
 * tcpsweep's own flame graph renderer: folded stacks → one self-contained SVG (no script, no
 * font or style from the network), root at the bottom, each frame as wide as its samples, names
 * XML-escaped and truncated to fit, a tooltip (`<title>`) with the full name and its figures.
 *
 * Frames narrower than a minimum width are not drawn (their parent's width still counts them),
 * as flamegraph.pl's --minwidth does; the minimum doubles until the SVG is under its size bound.
 * Why tcpsweep draws its own instead of running flamegraph.pl: docs/decisions.md.
 */
import { KERNEL_SUFFIX, type Folded } from "./folded.js";
import { buildTree, depthOf, type FrameNode } from "./tree.js";

export const MAX_SVG_BYTES = 1024 * 1024;
const WIDTH = 1200;
const FRAME_HEIGHT = 16;
const PAD_TOP = 36;
const PAD_BOTTOM = 24;
const SIDE = 10;
const CHAR_WIDTH = 7; // 12 px monospace, roughly
/** Longest name kept in a tooltip; the rest is cut (a C++ template can run to kilobytes). */
const MAX_NAME = 300;

export interface FlameOptions {
  title: string;
  /** A line under the title (samples, run, what the colours mean). */
  subtitle?: string;
  /** Fill of a frame; defaults to a warm colour by name (kernel frames orange, JavaScript green). */
  fill?: (node: FrameNode, path: readonly string[]) => string;
  /** Extra tooltip text of a frame (a differential graph's change). */
  detail?: (node: FrameNode, path: readonly string[]) => string;
  maxBytes?: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text as XML character data: control characters dropped (XML 1.0 forbids most), markup escaped. */
export function escapeXml(text: string): string {
  return text
    .replace(CONTROL_CHARS, "")
    .replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A stable pseudo-random number in [0, 1) from a name, so a frame keeps its colour from graph to graph. */
function hashUnit(name: string): number {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return (hash >>> 0) / 2 ** 32;
}

/** flamegraph.pl's palettes: warm for user code, orange for the kernel, green for JavaScript (Node's perf map). */
export function defaultFill(node: FrameNode): string {
  const v = hashUnit(node.name);
  if (node.name.endsWith(KERNEL_SUFFIX)) return `rgb(${205 + Math.round(50 * v)},${120 + Math.round(60 * v)},40)`;
  if (/^(LazyCompile|Function|JS|Builtin|Stub|BytecodeHandler|InterpretedFunction):/.test(node.name) || /\.m?js:\d+/.test(node.name))
    return `rgb(${50 + Math.round(60 * v)},${170 + Math.round(60 * v)},${50 + Math.round(40 * v)})`;
  return `rgb(${205 + Math.round(50 * v)},${Math.round(130 * v)},${Math.round(55 * v)})`;
}

const fitName = (name: string, width: number) => {
  const chars = Math.floor((width - 6) / CHAR_WIDTH);
  if (chars < 3) return "";
  return name.length <= chars ? name : `${name.slice(0, chars - 2)}..`;
};

function frameRects(root: FrameNode, options: FlameOptions, minWidth: number, height: number): { rects: string[]; hidden: number } {
  const scale = (WIDTH - 2 * SIDE) / Math.max(1, root.total);
  const fill = options.fill ?? defaultFill;
  const out: string[] = [];
  let hidden = 0;
  const visit = (node: FrameNode, path: string[], x: number, depth: number) => {
    const width = node.total * scale;
    if (width < minWidth) return void hidden++;
    const y = height - PAD_BOTTOM - (depth + 1) * FRAME_HEIGHT;
    const name = node.name.length > MAX_NAME ? `${node.name.slice(0, MAX_NAME)}…` : node.name;
    const pct = ((100 * node.total) / Math.max(1, root.total)).toFixed(2);
    const detail = options.detail ? `, ${options.detail(node, path)}` : "";
    const title = `${name} (${node.total} samples, ${pct} %; self ${node.self}${detail})`;
    const label = fitName(name, width);
    out.push(
      `<g><title>${escapeXml(title)}</title><rect x="${(SIDE + x).toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${FRAME_HEIGHT - 1}" fill="${fill(node, path)}" stroke="#bbb" stroke-width="0.4" rx="2"/>` +
        (label ? `<text x="${(SIDE + x + 3).toFixed(1)}" y="${y + FRAME_HEIGHT - 4}">${escapeXml(label)}</text>` : "") +
        `</g>`,
    );
    let childX = x;
    const children = [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const child of children) {
      visit(child, [...path, child.name], childX, depth + 1);
      childX += child.total * scale;
    }
  };
  visit(root, [], 0, 0);
  return { rects: out, hidden };
}

function svgOf(root: FrameNode, options: FlameOptions, minWidth: number): string {
  const height = PAD_TOP + depthOf(root) * FRAME_HEIGHT + PAD_BOTTOM;
  const { rects, hidden: hiddenFrames } = frameRects(root, options, minWidth, height);
  const hidden = hiddenFrames > 0 ? ` (${hiddenFrames} frames narrower than ${minWidth.toFixed(1)} px not drawn)` : "";
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans Mono, monospace" font-size="12">`,
    `<rect width="100%" height="100%" fill="#f8f8f8"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="16">${escapeXml(options.title)}</text>`,
    `<text x="${SIDE}" y="32" fill="#555">${escapeXml((options.subtitle ?? "") + hidden)}</text>`,
    ...rects,
    `<text x="${SIDE}" y="${height - 6}" fill="#555">${escapeXml("width: share of samples; hover a frame for its name and figures")}</text>`,
    `</svg>`,
    "",
  ].join("\n");
}

/** The flame graph of these stacks as SVG text, at most `maxBytes` (1 MiB) long. */
export function renderFlameGraph(folded: Folded | FrameNode, options: FlameOptions): string {
  const root = folded instanceof Map ? buildTree(folded) : folded;
  const maxBytes = options.maxBytes ?? MAX_SVG_BYTES;
  for (let minWidth = 0.1; ; minWidth *= 2) {
    const svg = svgOf(root, options, minWidth);
    if (Buffer.byteLength(svg) <= maxBytes || minWidth > WIDTH) return svg;
  }
}
