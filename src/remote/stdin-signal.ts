/** The common start signal of several load hosts: one line on stdin (the agent writes it at the agreed time). */

/** Resolves on the first line on stdin; rejects when stdin ends first (the agent went away: nothing to start). */
export function waitForStdinLine(): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (!text.includes("\n")) return;
      cleanup();
      resolve();
    };
    const onEnd = () => {
      cleanup();
      reject(new Error("stdin closed before the start signal"));
    };
    const cleanup = () => {
      process.stdin.off("data", onData);
      process.stdin.off("end", onEnd);
      process.stdin.destroy(); // a stdin still open would keep the client alive after its report
    };
    process.stdin.on("data", onData);
    process.stdin.on("end", onEnd);
  });
}
