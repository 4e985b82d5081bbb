/**
 * The V8 heap of a load loop. A loop's garbage is short-lived (a request's bookkeeping lives one
 * round trip), but with thousands of requests in flight many objects survive each scavenge, and
 * V8 then doubles the young generation up to its default maximum: two 16 MiB semi-spaces per
 * isolate, resident once touched. At 4,000 connections that was 32 MiB of a loop's RSS holding
 * under 2 MiB of live young objects (bench/RESULTS.md, "Client memory"). Too small a young
 * generation costs time instead: each scavenge visits every connection's handles, so with 1 MiB
 * semi-spaces 10,000 connections took 37–59 s to open instead of 5–9 s. So the cap is for loops
 * of at most CAPPED_LOOP_CONNECTIONS (4 MiB semi-spaces); larger loops keep V8's own sizing (with
 * 8 MiB, 10,000 connections over two loops still opened slower and lost some connects in single
 * runs on the loaded 2-core machine, not resolved: bench/RESULTS.md).
 */
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

/** Loops up to this many connections get a capped young generation (and may share the main thread, manager.ts). */
export const CAPPED_LOOP_CONNECTIONS = 2500;
const CAPPED_SEMI_SPACE_MB = 4;
/** V8's own maximum on 64-bit hosts: no cap at all. */
const V8_SEMI_SPACE_MB = 16;

export const semiSpaceMb = (connections: number): number =>
  connections <= CAPPED_LOOP_CONNECTIONS ? CAPPED_SEMI_SPACE_MB : V8_SEMI_SPACE_MB;

/** Worker threads: V8 sizes the young generation as three semi-spaces (two, and as much for large new objects). */
export const loopResourceLimits = (connections: number) => ({ maxYoungGenerationSizeMb: 3 * semiSpaceMb(connections) });

/** How often the main thread's young generation is looked at until it has reached its size. */
const CHECK_MS = 25;
let capping = false;

/**
 * Stops the young generation growing past semiSpaceMb(connections) in every isolate of this
 * process. The maximum semi-space size cannot change once a heap is set up (only `node
 * --max-semi-space-size` sets it, and the client is started without it), but V8 reads the growth
 * factor each time it would grow the young generation: once this thread's has reached its size,
 * a factor of 1 keeps it there. (Worker threads are capped by loopResourceLimits as well; all
 * loops of a process have even shares, so one cap fits them all.)
 */
export function capYoungGeneration(connections: number): void {
  const semiSpace = semiSpaceMb(connections);
  if (capping || semiSpace >= V8_SEMI_SPACE_MB) return;
  capping = true;
  const timer = setInterval(() => {
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
    // new_space counts both semi-spaces.
    if (newSpace && newSpace.space_size < 2 * semiSpace * 2 ** 20) return;
    setFlagsFromString("--semi-space-growth-factor=1");
    clearInterval(timer);
  }, CHECK_MS);
  timer.unref();
}
