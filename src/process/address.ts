/** host:port as users write it and as tcpsweep prints it (IPv6 hosts in brackets). */

/** Splits `host:port` or `[v6]:port`; returns an error message for anything else. */
export function parseAddress(text: string): { host: string; port: number } | string {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (!match) return `"${text}" is not host:port (IPv6: [::1]:port)`;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return `port ${port} in "${text}" is outside 1…65535`;
  return { host: (match[1] ?? match[2])!, port };
}

export function formatAddress(host: string, port: number | string): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
