import type { ProtocolName } from "../protocol/index.js";

export interface ClientOptions {
  host: string;
  port: number;
  connections: number;
  /** Worker threads; connections are spread evenly over them. */
  threads: number;
  durationS: number;
  warmupS: number;
  /** What a request and a response are (src/protocol). */
  protocol: ProtocolName;
  /** Request size as the protocol reads it: chat, CLIENT_CHAT payload bytes 0…1021; echo, bytes 1…65536. */
  length: number;
  /** Per read/write (and connect) timeout. */
  timeoutS: number;
  /** Open loop: total requests per second over all connections; undefined = closed loop. */
  rate?: number;
  /** What makes a reply a response: `type` (chat: a whole ECHO / ACK / INFO frame; echo: as many bytes as were sent; a wrong payload counted apart) or `payload` (a wrong payload is a bad frame). */
  verify: "type" | "payload";
  /** Connects started per second at most, over all connections; undefined = as fast as the server takes them. */
  connectRate?: number;
  /** Load processes and loopback source addresses; undefined = as many as this machine's limits need (spread.ts). */
  processes?: number;
  sourceAddresses?: number;
}

export const MAX_CONNECTIONS = 65000;
