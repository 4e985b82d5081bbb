export { runLoad, NoConnectionError, type LoadResult, type WindowHooks } from "./manager.js";
export { buildReport, formatTextReport, type ClientReport } from "./report.js";
export { MAX_CONNECTIONS, type ClientOptions } from "./options.js";

/** Lines `--announce-window` writes to stderr, so a sweep knows when the window opens and closes. */
export const WINDOW_STARTED_LINE = "tcpsweep client: window started";
export const WINDOW_ENDED_LINE = "tcpsweep client: window ended";

/**
 * `--wait-for-go`: the client starts (Node, modules) while the server starts, prints this line on
 * stderr once it listens for GO_SIGNAL, and connects only when it arrives (tcpsweep run sends it
 * once the server is ready): the two start-ups overlap instead of adding up.
 */
export const WAITING_FOR_GO_LINE = "tcpsweep client: waiting for SIGUSR2";
export const GO_SIGNAL = "SIGUSR2";
