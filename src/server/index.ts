export { runServer, type ServerOptions } from "./server.js";
export type { ReplyMode } from "./connection.js";
export { ACCEPT_STRATEGY_NAMES, chooseAcceptStrategy, hasReusePort, type AcceptChoice, type AcceptStrategyName } from "./accept/index.js";
