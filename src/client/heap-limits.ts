/**
 * The V8 heap of a load loop. A loop's garbage is short-lived (a request's bookkeeping lives one
 * round trip), but with thousands of requests in flight many objects survive each scavenge, and
 * V8 then doubles the young generation up to its default maximum: two 16 MiB semi-spaces per
 * isolate, resident once touched. At 4,000 connections that was 32 MiB of a loop's RSS holding
 * under 2 MiB of live young objects (bench/RESULTS.md, "Client memory").
 */
import { setFlagsFromString } from "node:v8";

/** Worker threads: a young generation of at most 6 MiB (V8 sizes it as three semi-spaces). */
export const LOOP_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 6 } as const;

let applied = false;

/**
 * Keeps every isolate of this process at its initial young generation (1 MiB semi-spaces). The
 * maximum semi-space size cannot change once a heap is set up (only `node --max-semi-space-size`
 * sets it), but V8 reads the growth factor each time it would grow the young generation, so
 * setting it at run time works for the main thread, worker threads and load processes alike.
 * Objects that outlive two scavenges are promoted to the old generation, as before.
 */
export function keepYoungGenerationSmall(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString("--semi-space-growth-factor=1");
}
