/** compare's options as commander parses them (its own file: the command and its actions both read it). */
export interface CompareFlags {
  threshold: string;
  alpha: string;
  test: string;
  markdown?: boolean;
  json?: boolean;
  strictEnv?: boolean;
  base?: string;
  new?: string;
  /** The names before --base / --new, still accepted. */
  baseRun?: string;
  newRun?: string;
  by?: string;
  baseline?: string;
  calibration?: string;
  /** --flame [CELL]: true for every regressed cell. */
  flame?: string | boolean;
}
