/**
 * A load loop in a process of its own (the client spreads over processes when one process's
 * descriptor limit would not hold its connections, spread.ts). It speaks the same messages and
 * events as a worker thread; the phase, which threads share through memory, comes as a message,
 * and the process reports its own CPU over its window with its result (the manager's
 * process.cpuUsage() does not see it).
 */
import { fork, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import type { FromWorker, ToWorker, WorkerConfig } from "./messages.js";

/** The config without its shared buffers (they cannot cross a process boundary). */
export type ProcessLoopConfig = Omit<WorkerConfig, "phase" | "windowStart">;

/** Manager → process: a phase change, with the window's start (epoch ms) once it is set. */
export type ToProcess =
  ToWorker | { kind: "phase"; phase: number; windowStartEpochMs: number } | { kind: "config"; config: ProcessLoopConfig };

export class ProcessLoop extends EventEmitter {
  private readonly child: ChildProcess;
  private readonly gone: Promise<void>;

  constructor(config: WorkerConfig) {
    super();
    const { phase: _phase, windowStart: _windowStart, ...plain } = config;
    this.child = fork(fileURLToPath(new URL("./process-entry.js", import.meta.url)), [], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    this.child.on("message", (message: FromWorker) => this.emit("message", message));
    this.child.on("error", (error) => this.emit("error", error));
    this.gone = new Promise((resolve) => this.child.once("exit", (code) => (this.emit("exit", code ?? 1), resolve())));
    this.send({ kind: "config", config: plain });
  }

  private send(message: ToProcess): void {
    if (this.child.connected) this.child.send(message);
  }

  postMessage(message: ToWorker): void {
    this.send(message);
  }

  setPhase(phase: number, windowStartEpochMs: number): void {
    this.send({ kind: "phase", phase, windowStartEpochMs });
  }

  async terminate(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    await this.gone;
  }
}
