/** Entry of a load worker thread: one LoadLoop, driven by the manager's messages. */
import { parentPort, workerData } from "node:worker_threads";
import { LoadLoop } from "./load-loop.js";
import type { FromWorker, ToWorker, WorkerConfig } from "./messages.js";

const loop = new LoadLoop(workerData as WorkerConfig, (message: FromWorker) => parentPort!.postMessage(message));
parentPort!.on("message", (message: ToWorker) => {
  if (message.kind === "begin") loop.begin();
  else if (message.kind === "stop") loop.stop();
});
void loop.start();
