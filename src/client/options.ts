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

/** Splits `host:port` or `[v6]:port`; returns an error message for anything else. */
export function parseAddress(text: string): { host: string; port: number } | string {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (!match) return `"${text}" is not host:port (IPv6: [::1]:port)`;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return `port ${port} in "${text}" is outside 1…65535`;
  return { host: (match[1] ?? match[2])!, port };
}
