#!/usr/bin/env bash
# Nightly sweep for cron. Usage: scripts/nightly.sh [SPEC]   (default sweeps/nightly.yaml)
#
# Rebuilds tcpsweep (a `git pull` leaves dist/ stale; tsc takes seconds), runs the sweep into
# results/nightly/<UTC date>/<name>.csv, writes the HTML report beside it, compares the night with
# the latest earlier night's CSV of the same spec, and prints ONE summary line on stdout, followed by
# the failed and regressed cells: cron mails what a job prints, not its exit status. Everything else
# goes to <name>.log beside the CSV. Exit 0 only for a clean night with no regression.
# Never runs twice at once (flock). TCPSWEEP_NIGHTLY_DIR and TCPSWEEP_NIGHTLY_DATE move the output
# and name the night (tests use them); TCPSWEEP_NIGHTLY_BUILD=0 skips the rebuild.
#
# Node: the `node` first on PATH, as in the user's shell (cron's PATH is short: set PATH in the
# crontab, or TCPSWEEP_NODE). TCPSWEEP_NODE=/path/to/bin/node uses that Node instead, for the build
# too (its directory goes first on PATH).
set -uo pipefail
# cron's PATH may lack the usual directories: add them AFTER the inherited ones, never before, so
# a Node the user put first (nvm, /opt/node, ~/.local/bin) stays the one that runs.
for dir in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
  case ":$PATH:" in *":$dir:"*) ;; *) PATH=$PATH:$dir ;; esac
done
export PATH
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 2
node=node
if [ -n "${TCPSWEEP_NODE:-}" ]; then
  if [ ! -x "$TCPSWEEP_NODE" ] || [ -d "$TCPSWEEP_NODE" ]; then
    echo "nightly: TCPSWEEP_NODE=$TCPSWEEP_NODE is not an executable file; set it to a node binary (e.g. /opt/node-24/bin/node) or unset it"
    exit 2
  fi
  node=$(cd "$(dirname "$TCPSWEEP_NODE")" && pwd)/$(basename "$TCPSWEEP_NODE")
  export PATH=$(dirname "$node"):$PATH
fi

spec=${1:-sweeps/nightly.yaml}
root=${TCPSWEEP_NIGHTLY_DIR:-results/nightly}
day=${TCPSWEEP_NIGHTLY_DATE:-$(date -u +%Y-%m-%d)}
mkdir -p "$root" || { echo "nightly: cannot create $root"; exit 2; }
# Until the build is done the night's file names are unknown (tcpsweep nightly-paths names them, from
# dist/): what the build prints waits in a file of its own, then goes to the top of the night's log.
early_log=$(mktemp "$root/.nightly.XXXXXX.log") || { echo "nightly: cannot write in $root"; exit 2; }
log=$early_log
note() { echo "$(date -u +%FT%TZ) $*" >>"$log"; }

# flock: a second cron run while the first is still going exits at once (status 75) instead of piling up.
exec 9>"$root/.lock"
if ! flock -n 9; then
  rm -f "$early_log"
  echo "nightly $(basename "$spec" .yaml): skipped, another nightly run holds $root/.lock"
  exit 75
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "${TCPSWEEP_NIGHTLY_BUILD:-1}" != 0 ]; then
  note "npm run build"
  if ! npm run build >>"$log" 2>&1; then
    echo "nightly $(basename "$spec" .yaml): build failed (npm run build), log: $log"
    exit 1
  fi
fi

# The night's file names (src/rundir/nightly-layout.ts): name out csv log run_json report_dir
# compare_json history_dir history_txt previous.
if ! paths=$("$node" dist/cli/main.js nightly-paths "$spec" --root "$root" --night "$day" 2>>"$log"); then
  echo "nightly $(basename "$spec" .yaml): cannot name the night's files (tcpsweep nightly-paths), log: $log"
  exit 2
fi
eval "$paths"
mkdir -p "$out" || { echo "nightly $name: cannot create $out"; exit 2; }
cat "$early_log" >>"$log" && rm -f "$early_log"

note "sweep $spec -> $csv ($node $("$node" --version 2>&1))"
sweep_status=0
"$node" dist/cli/main.js run "$spec" --csv "$csv" --json >"$run_json" 2>>"$log" || sweep_status=$?
note "sweep exit $sweep_status"

# --flame: each regressed cell's differential flame graph (the night against the one before), in
# <name>.flame/ inside the night's directory; the JSON, the log's table, the summary and the report
# name it beside the cell. A spec without profile.cpu gets none: compare says why and exits as without.
# The log's compare draws the same files again (same runs, same bytes), so its table names them too.
compare_status=none
if [ -n "$previous" ] && [ -f "$csv" ]; then
  compare_status=0
  "$node" dist/cli/main.js compare "$previous" "$csv" --json --flame >"$compare_json" 2>>"$log" || compare_status=$?
  "$node" dist/cli/main.js compare "$previous" "$csv" --flame >>"$log" 2>&1 || true
  note "compare with $previous: exit $compare_status"
fi

# Every night of the layout, change points over the whole series (docs/nightly.md): its one line for the
# summary, its table in the log, its trend report beside the night's report. Exit 1: a new regression.
history_status=0
"$node" dist/cli/main.js history "$root" --summary --report "$history_dir" >"$history_txt" 2>>"$log" || history_status=$?
"$node" dist/cli/main.js history "$root" --no-cache >>"$log" 2>&1 || true
note "history: exit $history_status"

# After history and compare: the night's report links to the trend report and to the differential flame graphs.
report_status=0
"$node" dist/cli/main.js report "$csv" --out "$report_dir" >>"$log" 2>&1 || report_status=$?
note "report exit $report_status"

"$node" scripts/nightly-summary.mjs "$name" "$run_json" "$sweep_status" "$report_dir/index.html" "$report_status" \
  "$compare_json" "$compare_status" "$previous" "$log" "$history_txt" "$history_status"
