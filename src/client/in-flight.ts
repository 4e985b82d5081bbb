/**
 * One connection's requests awaiting their reply, oldest first (replies come in order on one
 * connection): when each was (meant to be) sent and whether the window counts it. A ring over
 * typed arrays, so a request costs no object and a reply no array shift: a closed loop has one
 * request in flight, an open loop as many as the server lets pile up (the ring doubles then).
 */
export class InFlightQueue {
  private at = new Float64Array(2);
  private counted = new Uint8Array(2);
  private head = 0;
  length = 0;

  push(at: number, counted: boolean): void {
    if (this.length === this.at.length) this.grow();
    const slot = (this.head + this.length) & (this.at.length - 1);
    this.at[slot] = at;
    this.counted[slot] = counted ? 1 : 0;
    this.length++;
  }

  /** When the oldest request was (meant to be) sent; undefined when none is in flight. */
  oldestAt(): number | undefined {
    return this.length === 0 ? undefined : this.at[this.head];
  }

  /** Removes the oldest request: its send time and whether the window counts it (a reused object, see `last`). */
  shift(): { at: number; counted: boolean } | undefined {
    if (this.length === 0) return undefined;
    const result = this.last;
    result.at = this.at[this.head]!;
    result.counted = this.counted[this.head] === 1;
    this.head = (this.head + 1) & (this.at.length - 1);
    this.length--;
    return result;
  }

  /** Requests in flight that the window does not count. */
  uncounted(): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.counted[(this.head + i) & (this.at.length - 1)] === 0) n++;
    return n;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  /** shift()'s answer, reused: valid until the next shift() (no object per reply). */
  private readonly last = { at: 0, counted: false };

  private grow(): void {
    const size = this.at.length;
    const at = new Float64Array(size * 2);
    const counted = new Uint8Array(size * 2);
    for (let i = 0; i < this.length; i++) {
      at[i] = this.at[(this.head + i) & (size - 1)]!;
      counted[i] = this.counted[(this.head + i) & (size - 1)]!;
    }
    this.at = at;
    this.counted = counted;
    this.head = 0;
  }
}
