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
}

export const MAX_CONNECTIONS = 65000;
