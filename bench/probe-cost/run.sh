#!/usr/bin/env bash
# The bpf profiler's cost per syscall, measured directly: a loop of getppid() calls, timed bare and
# with the profiler's own bpftrace programs attached (the process in the traced tree, or not in it).
# Usage (root, bpftrace installed, after `npm run build`): bash bench/probe-cost/run.sh [rounds]
# Prints ns per call; the differences from "none" are the probe's cost (docs/decisions.md, bpf).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/loop" "$here/loop.c"
node -e "import('$repo/dist/profile/bpf-script.js').then((m) => { const fs = require('fs'); fs.writeFileSync('$work/counts.bt', m.bpfProgram(false)); fs.writeFileSync('$work/counts2.bt', m.bpfProgram(false, 'none')); fs.writeFileSync('$work/timed.bt', m.bpfProgram(true)); })"
for _ in $(seq "${1:-3}"); do
  # counts2: counting at sys_enter and sys_exit (two probes a call), as on an architecture without FORKING_CALLS.
  for mode in "none x" "counts out" "counts in" "counts2 in" "timed in"; do
    # shellcheck disable=SC2086
    (cd "$work" && timeout 120 python3 "$here/drive.py" $mode)
  done
done
