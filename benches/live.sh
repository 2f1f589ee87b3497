#!/usr/bin/env bash
# `report redis://…` against `report` of the saved file plus the server's own
# BGSAVE, on a Debian Redis 7.0 server loaded with a dump (default: the 1 GB
# benchmark dump), disk-based and diskless; with peak RssAnon and RssShmem
# (the memfd window) of rdbscope. Starts its own server on 127.0.0.1 (a free
# port, its own directory) and stops it by pid.
# Usage: benches/live.sh [DUMP] [RDBSCOPE]
set -euo pipefail
cd "$(dirname "$0")/.."
dump=${1:-benches/data/bench-1g.rdb}
bin=${2:-target/release/rdbscope}
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
cp "$dump" "$dir/dump.rdb"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' \
    --repl-diskless-sync no > "$dir/log" 2>&1 &
server=$!
until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; do sleep 0.5; done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(redis-server --version | cut -d' ' -f3)"
echo "dump: $dump ($(stat -c %s "$dump") bytes), $(redis-cli -p "$port" dbsize) keys in db0"

now() { date +%s.%N; }
# Runs "$@" and prints its wall time and peak RssAnon/RssShmem (MiB).
measure() {
    local t0 pid pa=0 ps=0 a s
    t0=$(now)
    "$@" > /dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        read -r a s < <(awk '/^RssAnon:/ {a=$2} /^RssShmem:/ {s=$2} END {print a+0, s+0}' \
            "/proc/$pid/status" 2>/dev/null || echo "0 0")
        [ "$a" -gt "$pa" ] && pa=$a
        [ "$s" -gt "$ps" ] && ps=$s
        sleep 0.01
    done
    wait "$pid"
    printf '%.2f s, peak RssAnon %d MiB, RssShmem %d MiB\n' \
        "$(echo "$(now) - $t0" | bc)" $((pa / 1024)) $((ps / 1024))
}

t0=$(now)
redis-cli -p "$port" bgsave > /dev/null
sleep 0.1
while redis-cli -p "$port" info persistence | grep -q 'rdb_bgsave_in_progress:1'; do sleep 0.05; done
bgsave=$(echo "$(now) - $t0" | bc)
printf 'BGSAVE: %.2f s\n' "$bgsave"
echo "report of the saved file: $(measure "$bin" report "$dir/dump.rdb")"
echo "report redis:// (disk-based): $(measure "$bin" report "redis://127.0.0.1:$port")"
redis-cli -p "$port" config set repl-diskless-sync yes > /dev/null
redis-cli -p "$port" config set repl-diskless-sync-delay 0 > /dev/null
echo "report redis:// (diskless): $(measure "$bin" report "redis://127.0.0.1:$port")"
