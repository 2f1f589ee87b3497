#!/usr/bin/env bash
# Time `rdbscope doctor` against the report without its findings, side by
# side on one dump: `report --no-doctor` (the scan and every other report
# part), `report` (with the findings) and `doctor`. Issue #13 asks doctor
# to take at most 1.3× the report's time.
#
#   benches/doctor.sh [DUMP] [--runs N] [--warmup N] [--size-mb N]
#
# DUMP defaults to benches/data/bench-1g.rdb (generated with
# benches/gen_dump.py when missing). Builds `cargo build --release`, times
# each command with hyperfine (warm page cache), prints a Markdown table
# and appends it to benches/results-doctor-DATE.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=benches/lib.sh
. benches/lib.sh

SCRIPT=doctor.sh
DUMP=benches/data/bench-1g.rdb
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
SIZE_MB=1024

usage() { sed -n '2,12s/^# \{0,1\}//p' "$0"; }

parse_args "$@"
ensure_tools
ensure_dump
build_release

q=$(printf '%q' "$DUMP")
LABELS=("report --no-doctor" "report" "doctor")
CMDS=("$BIN report $q --format json --no-doctor"
      "$BIN report $q --format json"
      "$BIN doctor $q --format json")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

timing_start
hf=(hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/hf.json")
for i in "${!CMDS[@]}"; do hf+=(-n "${LABELS[i]}" "${CMDS[i]}"); done
"${hf[@]}" >&2

machine_facts
OUT=benches/results-doctor-$(date +%F).md
python3 - "$TMP" "${LABELS[@]}" <<'PY' | tee -a "$OUT"
import json, os, sys
tmp, labels = sys.argv[1], sys.argv[2:]
env = os.environ
res = json.load(open(tmp + "/hf.json"))["results"]
base = res[0]["mean"]
print(f"## `rdbscope doctor` against the report — {env['DATE']}\n")
print(f"Dump: `{env['DUMP']}` ({int(env['SIZE']) / 1e9:.2f} GB), {env['RUNS']} runs after {env['WARMUP']} warm-up, warm page cache.\n")
print("| command | mean ± σ (s) | vs `report --no-doctor` |")
print("|---|---|---|")
for l, r in zip(labels, res):
    print(f"| `{l}` | {r['mean']:.3f} ± {r['stddev']:.3f} | {r['mean'] / base:.2f}× |")
print(f"\nMachine: {env['cpu']}, {env['NPROC']} CPUs, {env['KERNEL']}; {env['rdbscope_ver']} ({env['rev']}), {env['RUSTC']}, {env['HFVER']}; load {env['LOAD_START']}, {env['BUSY_START']}% of the CPUs busy with other work before timing.\n")
PY
log "appended to $OUT"
