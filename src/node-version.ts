/**
 * Which Node.js versions tcpsweep runs on, checked before anything else is loaded. Plain ES2015
 * syntax on purpose (no `?.`, `??`, class fields): an old Node must be able to parse this file to
 * say what is wrong, instead of failing on a syntax error deep inside a dependency.
 */

/** The tested lines, as in package.json's engines (test/node-version.test.ts keeps the two equal). */
export const SUPPORTED_NODE = "^20.19.0 || ^22.12.0 || >=24";

/** Whether `version` ("v24.1.0" or "24.1.0") is in {@link SUPPORTED_NODE}. */
export function nodeVersionSupported(version: string): boolean {
  const parts = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!parts) return false;
  const major = Number(parts[1]);
  const minor = Number(parts[2]);
  return (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 24;
}

/** One line naming the Node found and the ones needed, or undefined when `version` is supported. */
export function nodeVersionProblem(version: string, executable: string): string | undefined {
  if (nodeVersionSupported(version)) return undefined;
  return (
    "tcpsweep: Node.js " +
    version +
    " (" +
    executable +
    ") is not supported; tcpsweep needs Node.js 20.19+, 22.12+ or 24+ (" +
    SUPPORTED_NODE +
    "): " +
    "install a current LTS (24 or 26) and put it first on PATH"
  );
}
