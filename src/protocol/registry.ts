/** The one list of protocols: a new protocol is one file beside chat.ts and echo.ts, and one line here. */
import { chatProtocol } from "./chat.js";
import { echoProtocol } from "./echo.js";
import type { Protocol } from "./protocol.js";

export const PROTOCOLS = { chat: chatProtocol, echo: echoProtocol } as const satisfies Record<string, Protocol>;

export type ProtocolName = keyof typeof PROTOCOLS;
export const PROTOCOL_NAMES = Object.keys(PROTOCOLS) as [ProtocolName, ...ProtocolName[]];
export const DEFAULT_PROTOCOL: ProtocolName = "chat";

export function isProtocolName(name: unknown): name is ProtocolName {
  return typeof name === "string" && Object.hasOwn(PROTOCOLS, name);
}

export function protocolNamed(name: ProtocolName): Protocol {
  return PROTOCOLS[name];
}

/** Why `length` does not fit `protocol`, or undefined. */
export function lengthProblem(protocol: ProtocolName, length: number): string | undefined {
  const range = PROTOCOLS[protocol].length;
  if (Number.isInteger(length) && length >= range.min && length <= range.max) return undefined;
  return `length ${length} does not fit the ${protocol} protocol: ${range.meaning}, ${range.min}…${range.max}`;
}

/** The widest range any protocol accepts (what a spec's `length` may hold before the protocol is known). */
export const ANY_LENGTH = {
  min: Math.min(...Object.values(PROTOCOLS).map((p) => p.length.min)),
  max: Math.max(...Object.values(PROTOCOLS).map((p) => p.length.max)),
};
