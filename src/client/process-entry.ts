/** Entry of a load process (process-loop.ts): one LoadLoop, driven by the manager's messages over IPC. */
import { LoadLoop } from "./load-loop.js";
import { Phase, type FromWorker } from "./messages.js";
import type { ToProcess } from "./process-loop.js";

let loop: LoadLoop | undefined;
let cpuAtWindow: NodeJS.CpuUsage | undefined;
let windowCpu: NodeJS.CpuUsage | undefined;

const send = (message: FromWorker) => {
  // The result carries this process's CPU over its window and its peak RSS (the manager cannot see either).
  const extra =
    message.kind === "result" ? { processCpu: windowCpu ?? { user: 0, system: 0 }, peakRssKb: process.resourceUsage().maxRSS } : {};
  process.send?.({ ...message, ...extra });
};

process.on("message", (message: ToProcess) => {
  if (message.kind === "config") {
    loop = new LoadLoop({ ...message.config, phase: new SharedArrayBuffer(4), windowStart: new SharedArrayBuffer(8) }, send);
    void loop.start();
  } else if (message.kind === "phase" && loop) {
    new Float64Array(loop.config.windowStart)[0] = message.windowStartEpochMs;
    Atomics.store(loop.phase, 0, message.phase);
    if (message.phase === Phase.MEASURE) cpuAtWindow = process.cpuUsage();
    else if (message.phase === Phase.DRAIN && cpuAtWindow) windowCpu = process.cpuUsage(cpuAtWindow);
  } else if (message.kind === "begin") loop?.begin();
  else if (message.kind === "stop") loop?.stop();
});
// The manager is gone: nothing will read this loop's result.
process.on("disconnect", () => process.exit(0));
