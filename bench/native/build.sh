#!/usr/bin/env bash
# Builds the native measuring sticks (client, server) and the rusage wrapper into bench/build/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(cd "$here/.." && pwd)/build"
CC="${CC:-cc}"
CFLAGS=(-std=c11 -O2 -pthread -Wall -Wextra)

if ! command -v "$CC" >/dev/null 2>&1; then
  echo "build.sh: ERROR: C compiler '$CC' not found (install gcc, e.g. apt-get install gcc)" >&2
  exit 127
fi

mkdir -p "$out"
for prog in client server rusage; do
  if ! "$CC" "${CFLAGS[@]}" -o "$out/$prog" "$here/$prog.c"; then
    echo "build.sh: ERROR: compiling $here/$prog.c failed" >&2
    exit 1
  fi
  echo "$out/$prog"
done
