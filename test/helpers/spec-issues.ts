/** A spec that must not validate: its issues (or their one-line forms); a spec that validates fails the test. */
import { SpecError, formatSpecIssue, parseSpecText, type ParseOptions, type SpecIssue, type SpecOverrides } from "../../src/sweep/spec.js";

export function specIssues(text: string, file: string, options: ParseOptions, overrides: SpecOverrides = {}): SpecIssue[] {
  try {
    parseSpecText(text, file, overrides, options);
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error("expected a SpecError");
}

/** The issues as the CLI prints them: `FILE:LINE KEY.PATH: message`. */
export const specIssueLines = (text: string, file: string, options: ParseOptions): string[] =>
  specIssues(text, file, options).map(formatSpecIssue);
