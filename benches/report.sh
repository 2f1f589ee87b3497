#!/usr/bin/env bash
# Time `rdbscope report` (1 thread, 2 threads, default) and `rdbscope verify`
# against `redis-check-rdb` on one big dump.
#
#   benches/report.sh [DUMP] [--runs N] [--warmup N] [--size-mb N] [--cmd 'LABEL|COMMAND']...
#                     [--max-busy PCT|none] [--tries N]
#
# Like bench.sh (same options; RUNS / WARMUP environment variables work too):
# DUMP defaults to benches/data/bench-1g.rdb and is generated with
# benches/gen_dump.py (--size-mb, default 1024) when missing; builds
# `cargo build --release`, times each command with hyperfine (-N, warm page
# cache), measures peak RSS with /usr/bin/time -v and peak RssAnon with
# benches/peak_anon.sh, notes how busy the CPUs were with other work before
# and while timing (per row: one hyperfine call per command), and prints a
# Markdown table to stdout and appends it to benches/results-report-DATE.md.
# The report rows run `rdbscope report DUMP --format json [--threads N]`.
#
# The machine may be shared: a row timed while more than --max-busy percent
# (default 10; `none` turns this off) of the CPUs were busy with other work is
# timed again, --tries times in all (default 3), keeping the quietest try.
# MAX_BUSY / TRIES environment variables work too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=benches/lib.sh
. benches/lib.sh

SCRIPT=report.sh
DUMP=benches/data/bench-1g.rdb
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
SIZE_MB=1024

MAX_BUSY=${MAX_BUSY-10}
TRIES=${TRIES:-3}

usage() { sed -n '2,22s/^# \{0,1\}//p' "$0"; }

args=()
while (($#)); do
  case $1 in
    --max-busy) MAX_BUSY=$2; shift 2 ;;
    --max-busy=*) MAX_BUSY=${1#*=}; shift ;;
    --tries) TRIES=$2; shift 2 ;;
    --tries=*) TRIES=${1#*=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
[ "$MAX_BUSY" != none ] || MAX_BUSY=
export MAX_BUSY TRIES
parse_args "${args[@]+"${args[@]}"}"
ensure_tools
ensure_dump
build_release

LABELS=("rdbscope report --threads 1" "rdbscope report --threads 2" "rdbscope report"
        "rdbscope verify" "redis-check-rdb")
CMDS=("$BIN report {file} --format json --threads 1"
      "$BIN report {file} --format json --threads 2"
      "$BIN report {file} --format json"
      "$BIN verify {file}"
      "redis-check-rdb {file}")
set_commands
check_commands

# --- timing (CPU use by other processes before and during: a busy machine skews the numbers)
[ -z "$MAX_BUSY" ] || wait_quiet "$MAX_BUSY" 30
timing_start
T0=$(cpu_ticks)
run_hyperfine_each
T1=$(cpu_ticks)
BUSY_DURING=$(other_busy "$T0" "$T1")
[ "$BUSY_DURING" -lt 10 ] || log "warning: ${BUSY_DURING}% of the CPUs were busy with other work while timing"
measure_rss
measure_anon

# --- report -------------------------------------------------------------------------
machine_facts
OUT=benches/results-report-$(date +%F).md
NOTES=$(python3 - <<'EOF'
import json, os
res = {r["command"]: r for r in json.load(open(os.path.join(os.environ["TMP"], "hf.json")))["results"]}
def ratio(a, b, k):
    return res[a][k] / res[b][k]
def t(x):
    return "%.3f s" % x if x >= 1 else "%.1f ms" % (x * 1e3)
t1, t2, rep, ref = ("rdbscope report --threads 1", "rdbscope report --threads 2",
                    "rdbscope report", "redis-check-rdb")
print("Report rows: `rdbscope report DUMP --format json`, with `--threads N` where shown"
      " (default: one thread per core, %s here); output discarded. Other CPU: how busy the"
      " CPUs were with work other than this script while that row was timed%s."
      % (os.environ["NPROC"], (" (a row above %s%% was timed again, up to %s tries in all, keeping the quietest)"
                               % (os.environ["MAX_BUSY"], os.environ["TRIES"])) if os.environ.get("MAX_BUSY") else ""))
print()
print("`--threads 2` vs `--threads 1`: %.2f× the speed by mean (%s → %s), %.2f× by min"
      " (%s → %s). `rdbscope report` (default threads) takes %.3f of `redis-check-rdb`'s"
      " time by mean (%s vs %s), %.3f by min (%s vs %s)."
      % (ratio(t1, t2, "mean"), t(res[t1]["mean"]), t(res[t2]["mean"]),
         ratio(t1, t2, "min"), t(res[t1]["min"]), t(res[t2]["min"]),
         ratio(rep, ref, "mean"), t(res[rep]["mean"]), t(res[ref]["mean"]),
         ratio(rep, ref, "min"), t(res[rep]["min"]), t(res[ref]["min"])))
EOF
)
[ -s "$OUT" ] && echo >>"$OUT"
TITLE='`rdbscope report` vs `redis-check-rdb`' ANON=1 BUSYCOL=1 NOTES=$NOTES BUSY_DURING=$BUSY_DURING \
  render_table | tee -a "$OUT"
log "appended to $OUT"
