/**
 * The sweep spec's public surface. The work is split by concern under spec/: types (the
 * resolved spec), schema-parts and schema (zod), locate (issues → file lines), cross-checks
 * (rules between sections), resolve (defaults, paths, built-in command lines) and load
 * (entry points, placeholder values).
 */
export type * from "./spec/types.js";
export { BUILTIN_PLACEHOLDERS, YAML_SYNTAX_PATH, parseDuration } from "./spec/schema-parts.js";
export { specSchema } from "./spec/schema.js";
export { defaultCliEntry } from "./spec/resolve.js";
export { cellTemplateValues, loadSpec, parseSpecText } from "./spec/load.js";
export { SpecError, formatSpecIssue, type SpecIssue } from "./errors.js";
export { TemplateError } from "./template.js";
