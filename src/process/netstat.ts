/** The kernel's TCP extension counters (/proc/net/netstat, `TcpExt:` header and value lines), for host-wide evidence such as ListenOverflows. */
import { readFileSync } from "node:fs";

export function tcpExtCounter(name: string, file = "/proc/net/netstat"): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n").filter((line) => line.startsWith("TcpExt:"));
  if (lines.length < 2) return undefined;
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  const index = names.indexOf(name);
  return index < 1 ? undefined : Number(values[index]);
}
