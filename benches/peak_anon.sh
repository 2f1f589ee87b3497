#!/usr/bin/env bash
# Peak anonymous memory of a command (RssAnon: heap and stacks, without the
# pages of a memory-mapped input, which RSS also counts), sampled every 10 ms
# from /proc. Usage: benches/peak_anon.sh COMMAND [ARGS...]
set -euo pipefail
"$@" > /dev/null &
pid=$!
peak=0
while kill -0 "$pid" 2>/dev/null; do
    kb=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
    sleep 0.01
done
wait "$pid"
echo "peak RssAnon: $((peak / 1024)) MiB ($peak KiB)"
