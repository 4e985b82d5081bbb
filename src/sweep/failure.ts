import type { CellStatus } from "../output/columns.js";
import type { Launched } from "../launch/launcher.js";

/** A cell run that ended early: becomes a row with this status and message (or, when interrupted, no row). */
export class CellFailure extends Error {
  constructor(
    readonly status: CellStatus | "interrupted",
    message: string,
    /** Processes whose output belongs in the saved raw output. */
    readonly processes: { server?: Launched; client?: Launched } = {},
  ) {
    super(message);
  }
}
