/**
 * XML 1.0 forbids most control characters even as character references: one in a chart's label
 * (a matrix value from a CSV) makes a standalone SVG unreadable to every XML parser. vega escapes
 * markup but keeps them, so the finished document drops them.
 */
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** The document without the characters XML 1.0 forbids (tab, LF and CR stay: they are allowed). */
export function dropXmlForbidden(text: string): string {
  return text.replace(XML_FORBIDDEN, "");
}
