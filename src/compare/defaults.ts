/**
 * compare's defaults, in one place for every command that judges a difference (`compare`,
 * `compare --by`, a run's verdicts, calibrate, the nightly): a tiny module so that the command
 * line can show them in --help without loading the statistics.
 */
export const DEFAULT_ALPHA = 0.05;
/** The smallest change that counts, percent: a verdict needs the whole interval beyond ±5 % unless --threshold says otherwise. */
export const DEFAULT_THRESHOLD_PCT = 5;
