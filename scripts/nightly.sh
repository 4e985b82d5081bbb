#!/usr/bin/env bash
# Nightly sweep for cron. Usage: scripts/nightly.sh [SPEC]   (default sweeps/full.yaml)
# Writes results/nightly/<date>/<name>.csv and a log beside it; never runs twice at once.
set -euo pipefail
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin:$PATH
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

spec=${1:-sweeps/full.yaml}
day=$(date -u +%Y-%m-%d)
out="results/nightly/$day"
mkdir -p "$out"
log="$out/$(basename "$spec" .yaml).log"

# flock: a second cron run while the first is still going exits at once (status 75) instead of piling up.
exec 9>"results/nightly/.lock"
if ! flock -n 9; then
  echo "$(date -u +%FT%TZ) another nightly run holds results/nightly/.lock; skipping" | tee -a "$log" >&2
  exit 75
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ -f dist/cli/main.js ] || npm run build >>"$log" 2>&1

name=$(basename "$spec" .yaml)
echo "$(date -u +%FT%TZ) nightly: $spec -> $out/$name.csv" >>"$log"
status=0
node dist/cli/main.js run "$spec" --csv "$out/$name.csv" >>"$log" 2>&1 || status=$?
echo "$(date -u +%FT%TZ) nightly: exit $status" >>"$log"
exit "$status"
