#!/usr/bin/env bash
# Time `rdbscope verify` against `redis-check-rdb` on one big dump.
#
#   benches/bench.sh [DUMP] [--runs N] [--warmup N] [--size-mb N] [--cmd 'LABEL|COMMAND']...
#
# DUMP defaults to benches/data/bench-1g.rdb and is generated with
# benches/gen_dump.py (--size-mb, default 1024) when missing. Builds
# `cargo build --release`, times each command with hyperfine (warm page
# cache), measures peak RSS with /usr/bin/time -v, and prints a Markdown
# table to stdout and to benches/results-YYYY-MM-DD.md.
#
# --cmd adds a command to the table; `{file}` in it is replaced by the dump,
# e.g. --cmd 'rdbscope dump|target/release/rdbscope dump {file}'.
# Hyperfine runs commands without a shell (-N) and discards their output.
# RUNS / WARMUP environment variables work too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=benches/lib.sh
. benches/lib.sh

SCRIPT=bench.sh
DUMP=benches/data/bench-1g.rdb
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
SIZE_MB=1024

usage() { sed -n '2,16s/^# \{0,1\}//p' "$0"; }

parse_args "$@"
ensure_tools
ensure_dump
build_release

LABELS=("rdbscope verify" "redis-check-rdb")
CMDS=("$BIN verify {file}" "redis-check-rdb {file}")
set_commands
check_commands

# --- timing (CPU use by other processes just before: a busy machine skews the numbers)
timing_start
run_hyperfine
measure_rss

# --- report -------------------------------------------------------------------------
machine_facts
OUT=benches/results-$(date +%F).md
TITLE='`rdbscope verify` vs `redis-check-rdb`' render_table | tee "$OUT"
log "wrote $OUT"
