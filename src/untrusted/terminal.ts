/**
 * Text that came from a file or a process (a server's or client's output, a CSV or strace file that
 * `compare`, `report` or `strace-parse` print), made safe for a terminal: escape sequences (CSI
 * such as colours and cursor moves, OSC such as window titles and OSC 8 hyperlinks, and the other
 * ESC forms), control characters other than tab and newline (BEL, CR, backspace …) and the
 * bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, which reorder what a line
 * shows) are removed, so such text can neither repaint the screen nor pose as tcpsweep's own lines.
 */

// ESC [ … final byte (CSI), ESC ] … BEL or ESC \ (OSC), ESC P/X/^/_ … ESC \ (DCS, SOS, PM, APC), ESC + one char; the 8-bit CSI (0x9b) too.
/* eslint-disable no-control-regex -- matching control characters is the point */
const ESCAPES =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[PX^_][^\u001b]*(?:\u001b\\)?|\u001b[ -~]?|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/** `text` without escape sequences, control characters (tab and newline stay) and bidi overrides. */
export function stripControl(text: string): string {
  return text.replace(ESCAPES, "").replace(CONTROLS, "");
}

/**
 * From here on, everything this process writes to stdout and stderr goes through
 * {@link stripControl}: for the commands that print what files hold (compare, report,
 * strace-parse), so no line they print, whichever code builds it, can carry a file's escapes.
 */
export function sanitiseStandardStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
    stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) =>
      write(typeof chunk === "string" ? stripControl(chunk) : stripControl(Buffer.from(chunk).toString("utf8")), ...rest);
  }
}
