/** Every exit status of tcpsweep and scripts/nightly.sh, in one place: `--help`'s epilog and docs/cli.md say the same. */
export const EXIT_CODES_HELP = `Exit status (every command):
  0    ok: every run ok / no regression
  1    some run or cell not ok (run), a cell regressed (compare), the client reached no server,
       a new change point made a metric worse (history)
  2    bad input or a failed precondition, nothing run: spec, flags, missing program, CSV, lock,
       a flag npm ate (use: npm run sweep -- SPEC FLAGS)
  3    an error tcpsweep did not foresee (full disk, read-only directory, a bug; --debug for the stack)
  130  stopped by SIGINT (Ctrl-C); the rows written so far are whole, --resume continues
  143  stopped by SIGTERM; as 130
scripts/nightly.sh: 0 clean night, 1 a run not ok, a regression, a failed build or report,
  2 cannot create its output directory, 4 nothing judged (too few repeats in every cell),
  75 another nightly holds the lock, 130/143 interrupted.`;
