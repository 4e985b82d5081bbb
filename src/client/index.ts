export { runLoad, clientSpread, NoConnectionError, SpreadError, type LoadResult, type WindowHooks } from "./manager.js";
export { buildReport, formatTextReport, type ClientReport } from "./report.js";
export { MAX_CONNECTIONS, type ClientOptions } from "./options.js";

/** Lines `--announce-window` writes to stderr, so a sweep knows when the window opens and closes. */
export const WINDOW_STARTED_LINE = "tcpsweep client: window started";
export const WINDOW_ENDED_LINE = "tcpsweep client: window ended";
/** With `--wait-for-start`: connected and warmed up, waiting for a line on stdin to open the window (several load hosts start together). */
export const READY_LINE = "tcpsweep client: ready";
