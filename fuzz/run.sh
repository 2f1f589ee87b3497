#!/usr/bin/env bash
# Fuzz every target until each has used CPU_S seconds of CPU (default 3600),
# all at once at the lowest priority, then print a Markdown table (CPU-s,
# executions, crash/timeout/oom artifacts) with the commit fuzzed.
#
#   fuzz/run.sh [CPU_S] [TARGET...]
#
# Targets default to decode_file report wrappers rules. Needs cargo-fuzz
# (`cargo install cargo-fuzz --locked`); builds with `RUSTC_BOOTSTRAP=1`
# and no sanitizer, so the machine's stable toolchain does. Working files
# (corpora that grow, logs, artifacts) go to $FUZZ_OUT (default
# /tmp/rdbscope-fuzz); the build to $CARGO_TARGET_DIR (default
# $FUZZ_OUT/target). CPU time, not wall time, is what is counted: the
# machine may be shared. Do not pause the fuzzers (SIGSTOP): libFuzzer
# counts a paused unit's wall time and reports a false timeout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CPU_S=${1:-3600}
shift || true
TARGETS=${*:-decode_file report wrappers rules}
OUT=${FUZZ_OUT:-/tmp/rdbscope-fuzz}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$OUT/target}
mkdir -p "$OUT"

for t in $TARGETS; do
    RUSTC_BOOTSTRAP=1 cargo fuzz build -s none "$t"
done
BIN=$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release
COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- ../src . || echo "+dirty")

for t in $TARGETS; do
    mkdir -p "$OUT/$t-corpus"
    nice -n 19 "$BIN/$t" -timeout=60 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$OUT/$t-" -print_final_stats=1 \
        "$OUT/$t-corpus" "corpus/$t" > "$OUT/$t.log" 2>&1 &
    echo $! > "$OUT/$t.pid"
    echo 0 > "$OUT/$t.cpu"
done

tck=$(getconf CLK_TCK)
cpu_of() { awk -v k="$tck" '{ print int(($14 + $15) / k) }' "/proc/$1/stat" 2>/dev/null || echo -1; }
while :; do
    running=0
    for t in $TARGETS; do
        pid=$(cat "$OUT/$t.pid")
        c=$(cpu_of "$pid")
        [ "$c" -lt 0 ] && continue      # ended (a crash ends a run early)
        echo "$c" > "$OUT/$t.cpu"
        if [ "$c" -ge "$CPU_S" ]; then
            kill -INT "$pid" 2>/dev/null || true
        else
            running=1
        fi
    done
    [ "$running" = 0 ] && break
    sleep 10
done
wait || true

echo "Fuzzed $COMMIT, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, budget $CPU_S CPU-s a target"
echo
echo "| target | CPU-s | executions | artifacts (crash, timeout, oom) |"
echo "|---|---:|---:|---:|"
for t in $TARGETS; do
    runs=$(grep -o 'number_of_executed_units: *[0-9]*' "$OUT/$t.log" | awk '{ print $2 }' | tail -1)
    found=$(find "$OUT" -maxdepth 1 \( -name "$t-crash-*" -o -name "$t-timeout-*" -o -name "$t-oom-*" \) | wc -l)
    echo "| $t | $(cat "$OUT/$t.cpu") | ${runs:-?} | $found |"
done
