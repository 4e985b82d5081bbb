export interface ClientOptions {
  host: string;
  port: number;
  connections: number;
  /** Worker threads; connections are spread evenly over them. */
  threads: number;
  durationS: number;
  warmupS: number;
  /** CLIENT_CHAT payload bytes, 0…1021. */
  length: number;
  /** Per read/write (and connect) timeout. */
  timeoutS: number;
  /** Open loop: total requests per second over all connections; undefined = closed loop. */
  rate?: number;
  /** What makes a reply a response: `type` (the study's rule: a whole ECHO / ACK / INFO frame) or `payload` (an ECHO must also carry the request's payload). */
  verify: "type" | "payload";
  /** Connects started per second at most, over all connections; undefined = as fast as the server takes them. */
  connectRate?: number;
  /** Load processes and loopback source addresses; undefined = as many as this machine's limits need (spread.ts). */
  processes?: number;
  sourceAddresses?: number;
}

export const MAX_CONNECTIONS = 65000;
