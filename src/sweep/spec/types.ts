/** The resolved spec's types live in src/model/ (below every folder); re-exported here so imports of sweep/spec keep working. */
export type * from "../../model/spec-types.js";

export interface SpecOverrides {
  repeat?: number;
  durationS?: number;
  /** `--set KEY=V1,V2`: replaces a matrix key's values (see set-override.ts). */
  set?: readonly string[];
}

export interface ParseOptions {
  /** Absolute path of the tcpsweep CLI entry used in builtin argv. Default: {@link defaultCliEntry}. */
  cliEntry?: string;
  /** Directory relative paths are resolved against. Default: process.cwd(). */
  cwd?: string;
  /** CPUs `cpus:` lists may name. Default: this machine's online CPUs. */
  onlineCpus?: readonly number[];
}
