/**
 * Text for Markdown (a CI comment: `compare --markdown`), shown as the text it is: every character
 * Markdown or GitHub gives a meaning inside a line is escaped. Backslash escapes for emphasis, code,
 * links, images, tables, strikethrough and headings; HTML entities for `<`, `>`, `&` (no raw HTML) and `@` (no @mention, which a
 * backslash does not stop); line breaks become spaces (a table cell is one line).
 */
import { stripControl } from "./terminal.js";

const BACKSLASHED = /[\\`*_{}[\]()#!|~]/g;
const ENTITIES: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;", "@": "&#64;" };

export function escapeMarkdown(text: string): string {
  return stripControl(text) // ESC, BEL and bidi overrides would still act in a terminal or a viewer
    .replace(BACKSLASHED, "\\$&")
    .replace(/[&<>@]/g, (c) => ENTITIES[c]!)
    .replace(/\r\n|\r|\n/g, " ");
}
