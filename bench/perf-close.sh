#!/usr/bin/env bash
# How long `perf stat` takes to exit after SIGINT, by how its syscall counters are set up
# (bench/RESULTS.md, "Time between windows"). Attaches to a sleeping process of its own, so the
# counts are zero: only the closing is timed. Root (or perf_event_paranoid -1) needed.
#   bench/perf-close.sh named      32 syscalls:sys_enter_NAME tracepoints (tcpsweep before 2026-12-05)
#   bench/perf-close.sh keeper     the same, while another perf holds the same tracepoints open
#   bench/perf-close.sh split K    the same events split over K perf processes, interrupted together
#   bench/perf-close.sh filtered   raw_syscalls:sys_enter filtered on each syscall's number (x86_64)
set -euo pipefail
mode=${1:-named}
names=(read write readv writev recvfrom sendto recvmsg sendmsg epoll_wait epoll_pwait epoll_pwait2 epoll_ctl poll ppoll select pselect6 io_uring_enter futex accept accept4 close shutdown mmap munmap madvise brk mprotect getpid sched_yield nanosleep clock_nanosleep clock_gettime)
numbers=(0 1 19 20 45 44 47 46 232 281 441 233 7 271 23 270 426 202 43 288 3 48 9 11 28 12 10 39 24 35 230 228)
base=(-e raw_syscalls:sys_enter -e raw_syscalls:sys_exit --filter 'ret < 0')
named=()
for name in "${names[@]}"; do named+=(-e "syscalls:sys_enter_$name"); done
out=$(mktemp -d)
sleep 60 & target=$!
pids=()
keeper=
case $mode in
  named) perf stat -x, -o "$out/0" "${base[@]}" "${named[@]}" -p "$target" & pids+=($!) ;;
  keeper)
    perf stat -x, -o /dev/null -D -1 --control fd:0,1 "${base[@]}" "${named[@]}" -p "$target" </dev/null >/dev/null 2>&1 & keeper=$!
    sleep 1
    perf stat -x, -o "$out/0" "${base[@]}" "${named[@]}" -p "$target" & pids+=($!) ;;
  split)
    k=${2:?split needs K}
    for ((i = 0; i < k; i++)); do
      events=()
      for ((j = i; j < ${#names[@]}; j += k)); do events+=(-e "syscalls:sys_enter_${names[j]}"); done
      perf stat -x, -o "$out/$i" "${base[@]}" "${events[@]}" -p "$target" & pids+=($!)
    done ;;
  filtered)
    events=()
    for n in "${numbers[@]}"; do events+=(-e raw_syscalls:sys_enter --filter "id == $n"); done
    perf stat -x, -o "$out/0" "${base[@]}" "${events[@]}" -p "$target" & pids+=($!) ;;
  *) echo "usage: $0 named|keeper|split K|filtered" >&2; exit 2 ;;
esac
sleep 1.5
start=$(date +%s.%N)
kill -INT "${pids[@]}"
wait "${pids[@]}" || true
end=$(date +%s.%N)
echo "$mode ${2:-}: perf exited $(echo "$end - $start" | bc) s after SIGINT ($(cat "$out"/* | grep -c ,) counters)"
[ -n "$keeper" ] && kill -INT "$keeper" && wait "$keeper" || true
kill "$target"
rm -rf "$out"
