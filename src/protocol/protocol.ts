/**
 * The seam between tcpsweep and a wire protocol: what a request is, when a response is whole
 * and whether it is the right one (client side), and what a server answers (the built-in server).
 * One file per protocol implements {@link Protocol}; registry.ts is the one place that lists them.
 * Nothing here touches sockets: a protocol turns bytes into verdicts and replies, and the
 * load loop and the server own the I/O, timing and accounting, the same for every protocol.
 */

/** A byte range a protocol accepts for `--length`, and the length used when none is given. */
export interface LengthRange {
  min: number;
  max: number;
  default: number;
  /** What `length` means for this protocol, for help texts and errors ("CLIENT_CHAT payload bytes"). */
  meaning: string;
}

/** Settings a load loop's connections share. */
export interface ClientProtocolOptions {
  /** Request size as the protocol reads it (within {@link Protocol.length}). */
  length: number;
}

/**
 * One connection's view of the protocol. Requests go out in order and responses come back in
 * the same order; the session keeps whatever it needs to check the next response.
 */
export interface ClientSession {
  /**
   * The bytes of the next request. The socket may still hold them after the call, so a session
   * never changes bytes it has handed out (share immutable buffers, or make new ones).
   */
  nextRequest(): Uint8Array;
  /**
   * Feeds received bytes (any piece of the stream); calls `onResponse` once per whole response,
   * in order, with whether its content is the expected one (false counts as a payload mismatch).
   * Returns why the stream is out of step (then the connection is dropped as a bad frame), else undefined.
   * `chunk` is only valid during the call.
   */
  receive(chunk: Buffer, onResponse: (matches: boolean) => void): string | undefined;
}

/** Settings of the built-in server that apply to a protocol (reply mode: chat only). */
export interface ServerProtocolOptions {
  reply: "echo" | "ack";
}

/** One server connection's view: the reply to a chunk of received bytes. */
export interface ServerSession {
  /** `reply` goes out in one write; `error` closes this connection (after the reply, if any). */
  receive(chunk: Buffer): { reply?: Uint8Array; error?: string };
}

export interface Protocol {
  readonly name: string;
  /** One line for `--help` and docs. */
  readonly summary: string;
  readonly length: LengthRange;
  /** Called once per load loop; `session()` once per connection. */
  client(options: ClientProtocolOptions): { session(): ClientSession };
  /** Why these server settings make no sense for this protocol, or undefined. */
  serverOptionsProblem(options: ServerProtocolOptions): string | undefined;
  /** Called once per accepted connection of the built-in server. */
  serverSession(options: ServerProtocolOptions): ServerSession;
}
