/** Folded stacks as a tree of frames (root at the bottom of a flame graph), and a second run's counts on the same paths. */
import type { Folded } from "./folded.js";

export interface FrameNode {
  name: string;
  /** Samples in this frame and everything it called. */
  total: number;
  /** Samples where this frame was the innermost. */
  self: number;
  children: Map<string, FrameNode>;
}

const newNode = (name: string): FrameNode => ({ name, total: 0, self: 0, children: new Map() });

export function buildTree(folded: Folded, rootName = "all"): FrameNode {
  const root = newNode(rootName);
  for (const [stack, count] of folded) {
    root.total += count;
    let node = root;
    for (const frame of stack.split(";")) {
      let child = node.children.get(frame);
      if (!child) node.children.set(frame, (child = newNode(frame)));
      child.total += count;
      node = child;
    }
    node.self += count;
  }
  return root;
}

/** The node at a path of frame names below the root, if that path was sampled. */
export function nodeAt(root: FrameNode, path: readonly string[]): FrameNode | undefined {
  let node: FrameNode | undefined = root;
  for (const name of path) node = node?.children.get(name);
  return node;
}

/** The tree's depth (frames of its deepest stack, the root included). */
export function depthOf(node: FrameNode): number {
  let deepest = 0;
  for (const child of node.children.values()) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}
