/**
 * Wrapping launchers (pinned CPUs, the warm client) forward what they do not change, the optional
 * capabilities included: before launch/wrapping.ts, PinnedLauncher dropped preflight, close and
 * createProfiler, so a pinned launcher over one that holds connections never released them.
 * A fake inner launcher records what reached it (pure forwarding: no process is started).
 */
import { describe, expect, it } from "vitest";
import type { Launcher, LauncherNeeds } from "../src/launch/launcher.js";
import { PinnedLauncher } from "../src/launch/pinned.js";
import { WarmClientLauncher } from "../src/launch/warm-client.js";
import type { Profiler } from "../src/profile/profiler.js";

function innerLauncher(withCapabilities: boolean): { launcher: Launcher; calls: string[] } {
  const calls: string[] = [];
  const base: Launcher = {
    where: "host h",
    start: () => {
      throw new Error("not started in this test");
    },
    freePort: (host) => (calls.push(`freePort ${host}`), Promise.resolve(4242)),
    waitUntilAccepting: (host, port) => (calls.push(`wait ${host}:${port}`), Promise.resolve(true)),
    openFileShortfall: (sockets) => (calls.push(`shortfall ${sockets}`), undefined),
  };
  if (!withCapabilities) return { launcher: base, calls };
  return {
    calls,
    launcher: {
      ...base,
      preflight: (needs: LauncherNeeds) => (
        calls.push(`preflight ${needs.roles.join(",")}`),
        Promise.resolve({ problems: ["p"], hosts: [] })
      ),
      close: () => (calls.push("close"), Promise.resolve()),
      createProfiler: (kind) => (calls.push(`profiler ${kind}`), {} as Profiler),
    },
  };
}

const wrappers: [string, (inner: Launcher) => Launcher][] = [
  ["PinnedLauncher", (inner) => new PinnedLauncher(inner, "0")],
  ["WarmClientLauncher", (inner) => new WarmClientLauncher(inner)],
];

describe("wrapping launchers forward what they do not change", () => {
  for (const [name, wrap] of wrappers) {
    it(`${name}: preflight, createProfiler, close and the required methods reach the inner launcher`, async () => {
      const { launcher: inner, calls } = innerLauncher(true);
      const wrapped = wrap(inner);
      expect(await wrapped.preflight!({ roles: ["server"], connections: 1 })).toEqual({ problems: ["p"], hosts: [] });
      wrapped.createProfiler!("strace", {} as never);
      expect(await wrapped.freePort("127.0.0.1")).toBe(4242);
      expect(await wrapped.waitUntilAccepting("127.0.0.1", 1, 0, () => false)).toBe(true);
      expect(wrapped.openFileShortfall(7)).toBeUndefined();
      await wrapped.close!();
      expect(calls).toEqual(["preflight server", "profiler strace", "freePort 127.0.0.1", "wait 127.0.0.1:1", "shortfall 7", "close"]);
      expect(wrapped.where).toContain("host h");
    });

    it(`${name}: a capability the inner launcher lacks stays absent (the runner reads its absence)`, async () => {
      const wrapped = wrap(innerLauncher(false).launcher);
      expect(wrapped.preflight).toBeUndefined();
      expect(wrapped.createProfiler).toBeUndefined();
      await expect(wrapped.close!()).resolves.toBeUndefined();
    });
  }
});
