"""One measurement of bench/probe-cost/run.sh: MODE (none|counts|counts2|timed) and TARGET (in|out of the traced tree).

The profiler's program is steered by marker syscalls from the process named as $1 (this one):
kill(pid, base + 0) adds pid to the tree, kill(self, base + 1) opens the window (src/profile/bpf-script.ts).
"""
import os
import subprocess
import sys
import time

mode, target = sys.argv[1], sys.argv[2]
CALLS = "3000000"
BASE = 1_000_000


def mark(pid, k):
    try:
        os.kill(pid, BASE + k)
    except OSError:
        pass  # EINVAL: no such signal; the probe has seen it


loop = subprocess.Popen(["./loop", CALLS, "wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
loop_pid = int(loop.stderr.readline())
tracer = None
if mode != "none":
    tracer = subprocess.Popen(
        ["bpftrace", "-f", "json", f"{mode}.bt", str(os.getpid()), str(BASE)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    while True:
        line = tracer.stdout.readline()
        if "attached_probes" in line or line == "":
            break
    time.sleep(1.0)  # bpftrace prints the line just before its last probe is live
    if target == "in":
        mark(loop_pid, 0)
    mark(os.getpid(), 1)
loop.stdin.write("\n")
loop.stdin.flush()
ns = loop.stdout.read().strip()
loop.wait()
if tracer:
    tracer.send_signal(2)
    tracer.wait()
print(f"{mode:6} {target:3} {ns} ns per getppid()")
