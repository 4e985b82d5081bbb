/**
 * Where a client run writes and how it ends: the process's stdio and exit for `tcpsweep client`; a
 * warm client (warm-host.ts) runs many clients one after another in one process and passes each run's
 * output on.
 */
export interface ClientIo {
  out(text: string): void;
  err(text: string): void;
  /** With --wait-for-start: resolves on the start signal. */
  waitForStart(): Promise<void>;
  /** Says `message` on err and ends this client run with exit status `code`. */
  fail(message: string, code: number): never;
}
