/**
 * The well-known waiting system calls: a thread in one of these is blocked (on a lock, for events,
 * for a timer, for a child), so its time is wall time spent waiting, not work. `futex` at 89 % of
 * the time means threads sat waiting, not that the server computed in futex (issue 30, item 6).
 * Only calls that exist to wait: a `read` or `accept` may block or not (it depends on the
 * descriptor's mode, which a syscall count does not record), so they are not listed.
 */
export const BLOCKING_WAIT_SYSCALLS: readonly string[] = [
  "futex",
  "epoll_wait",
  "epoll_pwait",
  "epoll_pwait2",
  "poll",
  "ppoll",
  "select",
  "pselect6",
  "nanosleep",
  "clock_nanosleep",
  "wait4",
  "waitid",
  "rt_sigtimedwait",
  "rt_sigsuspend",
  "pause",
];

/** `blocked` for a waiting call (its time is time blocked), empty otherwise: the `.syscalls.csv` column `time_kind`. */
export function timeKindOf(syscall: string): "blocked" | "" {
  return BLOCKING_WAIT_SYSCALLS.includes(syscall) ? "blocked" : "";
}
