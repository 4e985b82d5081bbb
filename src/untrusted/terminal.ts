/**
 * Text that came from a server or a client, made safe for a terminal: escape sequences (CSI such as
 * colours and cursor moves, OSC such as window titles and hyperlinks, and the other ESC forms) and
 * control characters other than tab and newline are removed, so a program's output can neither
 * repaint the screen nor pose as tcpsweep's own lines.
 */

// ESC [ … final byte (CSI), ESC ] … BEL or ESC \ (OSC), ESC P/X/^/_ … ESC \ (DCS, SOS, PM, APC), ESC + one char; the 8-bit CSI (0x9b) too.
// Matching control characters is this file's purpose.
/* eslint-disable no-control-regex */
const ESCAPES =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[PX^_][^\u001b]*(?:\u001b\\)?|\u001b[ -~]?|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/* eslint-enable no-control-regex */

/** `text` without escape sequences and control characters (tab and newline stay). */
export function stripControl(text: string): string {
  return text.replace(ESCAPES, "").replace(CONTROLS, "");
}
