/**
 * Differential flame graph: NEW's flame graph, each frame coloured by how its self samples per
 * response changed against BASE on the same stack path (red: grew, blue: shrank, white: same).
 * Per response, not per sample: a server that got slower answers fewer requests in the same
 * window, so raw counts would hide the frame that grew. Frames only in BASE are not drawn (NEW's
 * shape is the picture); the subtitle says how many BASE samples had no place in NEW.
 */
import { type Folded, totalSamples } from "./folded.js";
import { renderFlameGraph } from "./svg.js";
import { buildTree, nodeAt, type FrameNode } from "./tree.js";

export interface DiffSide {
  folded: Folded;
  /** Responses in the profiled window (the divisor of samples per response). */
  responses: number;
  label: string;
}

/** Change of a frame's self samples per 1,000 responses, NEW minus BASE. */
export function selfChangePerKResponses(newNode: FrameNode, baseNode: FrameNode | undefined, base: DiffSide, next: DiffSide): number {
  const rate = (samples: number, responses: number) => (responses > 0 ? (1000 * samples) / responses : 0);
  return rate(newNode.self, next.responses) - rate(baseNode?.self ?? 0, base.responses);
}

/** White → red for growth, white → blue for shrinkage, by the change's share of the largest change. */
export function diffFill(change: number, largest: number): string {
  const t = largest > 0 ? Math.min(1, Math.abs(change) / largest) : 0;
  const fade = Math.round(255 * (1 - t));
  return change > 0 ? `rgb(255,${fade},${fade})` : change < 0 ? `rgb(${fade},${fade},255)` : "rgb(255,255,255)";
}

export function renderDifferential(base: DiffSide, next: DiffSide, title: string): string {
  const baseRoot = buildTree(base.folded);
  const newRoot = buildTree(next.folded);
  const changes = new Map<FrameNode, number>();
  let largest = 0;
  const visit = (node: FrameNode, path: string[]) => {
    const change = selfChangePerKResponses(node, nodeAt(baseRoot, path), base, next);
    changes.set(node, change);
    largest = Math.max(largest, Math.abs(change));
    for (const child of node.children.values()) visit(child, [...path, child.name]);
  };
  visit(newRoot, []);
  const perK = (samples: number, responses: number) => (responses > 0 ? ((1000 * samples) / responses).toFixed(2) : "?");
  return renderFlameGraph(newRoot, {
    title,
    subtitle:
      `${next.label}: ${totalSamples(next.folded)} samples, ${perK(totalSamples(next.folded), next.responses)} per 1k responses; ` +
      `${base.label}: ${totalSamples(base.folded)}, ${perK(totalSamples(base.folded), base.responses)}. ` +
      `Red: self samples per response grew, blue: shrank`,
    fill: (node) => diffFill(changes.get(node) ?? 0, largest),
    detail: (node) => `self per 1k responses ${(changes.get(node) ?? 0) >= 0 ? "+" : ""}${(changes.get(node) ?? 0).toFixed(3)} vs base`,
  });
}
