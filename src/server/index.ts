export { runServer, type ServerOptions } from "./server.js";
export type { ReplyMode } from "./connection.js";
