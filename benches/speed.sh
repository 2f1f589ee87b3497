#!/usr/bin/env bash
# Every reading speed of rdbscope side by side, in one run on one dump:
# redis-check-rdb (the reference), the record-walk floor (examples/walk:
# frames records, decodes nothing), `rdbscope verify`, `rdbscope report`
# (1, 2 and default threads), `rdbscope keys` and `rdbscope dump` (default
# and 1 thread, written with -o to a temporary file).
#
#   benches/speed.sh [DUMP] [--runs N] [--warmup N] [--size-mb N] [--cmd 'LABEL|COMMAND']...
#                    [--max-busy PCT|none] [--tries N]
#
# Options as in report.sh (RUNS / WARMUP / MAX_BUSY / TRIES environment
# variables work too): DUMP defaults to benches/data/bench-1g.rdb and is
# generated with benches/gen_dump.py (--size-mb, default 1024) when missing;
# builds `cargo build --release` and `cargo build --release --example walk`;
# times each row with its own hyperfine call (-N, warm page cache); a row
# timed while more than --max-busy percent (default 10; `none` turns this
# off) of the CPUs were busy with other work is timed again, --tries times in
# all (default 3), keeping the quietest try. Measures peak RssAnon with
# benches/peak_anon.sh, prints a Markdown table (mean ± σ, min, user + sys
# CPU, MB/s, peak RssAnon) and the derived figures to stdout, and appends
# them to benches/results-speed-DATE.md.
#
# --cmd adds a row ({file} is the dump, {out} the temporary directory).
# Prebuilt binaries: RDBSCOPE_BIN=path/to/rdbscope and WALK_BIN=path/to/walk
# skip the corresponding build. keys and dump write to one file (GBs on a big
# dump) in a mktemp directory (under $TMPDIR if set), deleted before every
# run (hyperfine --prepare, untimed) and on exit.
set -euo pipefail

# Prebuilt binaries given relative to where the script was started.
[ -z "${RDBSCOPE_BIN:-}" ] || RDBSCOPE_BIN=$(realpath -- "$RDBSCOPE_BIN")
[ -z "${WALK_BIN:-}" ] || WALK_BIN=$(realpath -- "$WALK_BIN")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=benches/lib.sh
. benches/lib.sh

SCRIPT=speed.sh
DUMP=benches/data/bench-1g.rdb
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
SIZE_MB=1024

MAX_BUSY=${MAX_BUSY-10}
TRIES=${TRIES:-3}

usage() { sed -n '2,27s/^# \{0,1\}//p' "$0"; }

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

# --- the binaries: BIN (rdbscope) and WALK (the record-walk floor), built
# unless given.
target=${CARGO_TARGET_DIR:-target}
if [ -n "${RDBSCOPE_BIN:-}" ]; then
  BIN=$RDBSCOPE_BIN
  git_rev src Cargo.toml Cargo.lock examples
  log "using prebuilt $BIN (RDBSCOPE_BIN)"
else
  build_release
  git_rev src Cargo.toml Cargo.lock examples
fi
if [ -n "${WALK_BIN:-}" ]; then
  WALK=$WALK_BIN
  log "using prebuilt $WALK (WALK_BIN)"
else
  log "cargo build --release --example walk"
  cargo build --release --example walk >&2
  WALK=$target/release/examples/walk
fi
for b in "$BIN" "$WALK"; do
  [ -x "$b" ] || { log "$SCRIPT: $b is not an executable"; exit 1; }
done
PREBUILT=
[ -z "${RDBSCOPE_BIN:-}${WALK_BIN:-}" ] ||
  PREBUILT="prebuilt binaries: ${RDBSCOPE_BIN:+rdbscope $RDBSCOPE_BIN}${RDBSCOPE_BIN:+${WALK_BIN:+, }}${WALK_BIN:+walk $WALK_BIN}"

# --- the rows; {out} is the temporary directory for the output files.
b=$(printf '%q' "$BIN")
LABELS=("redis-check-rdb DUMP"
        "walk DUMP (record-walk floor)"
        "rdbscope verify DUMP"
        "rdbscope report DUMP --format json --threads 1"
        "rdbscope report DUMP --format json --threads 2"
        "rdbscope report DUMP --format json"
        "rdbscope keys DUMP --format csv -o FILE"
        "rdbscope keys DUMP --format csv -o FILE --threads 1"
        "rdbscope keys DUMP --format parquet -o FILE"
        "rdbscope dump DUMP --format jsonl -o FILE"
        "rdbscope dump DUMP --format jsonl -o FILE --threads 1")
CMDS=("redis-check-rdb {file}"
      "$(printf '%q' "$WALK") {file}"
      "$b verify {file}"
      "$b report {file} --format json --threads 1"
      "$b report {file} --format json --threads 2"
      "$b report {file} --format json"
      "$b keys {file} --format csv -o {out}/output"
      "$b keys {file} --format csv -o {out}/output --threads 1"
      "$b keys {file} --format parquet -o {out}/output"
      "$b dump {file} --format jsonl -o {out}/output"
      "$b dump {file} --format jsonl -o {out}/output --threads 1")
set_commands # creates TMP (mktemp -d), removed on exit
trap 'exit 130' INT
trap 'exit 143' TERM
rm_out() { rm -f "$TMP/output"; }
qout=$(printf '%q' "$TMP")
PREPARE=()
for i in "${!CMDS[@]}"; do
  CMDS[i]=${CMDS[i]//\{out\}/$qout}
  PREPARE[i]=
  # hyperfine runs it without a shell, before every (warm-up) run, untimed.
  [[ ${CMDS[i]} != *" -o $qout/"* ]] || PREPARE[i]="rm -f $qout/output"
done
check_commands
rm_out

# --- timing (CPU use by other processes before and during: a busy machine skews the numbers)
[ -z "$MAX_BUSY" ] || wait_quiet "$MAX_BUSY" 30
timing_start
T0=$(cpu_ticks)
run_hyperfine_each
T1=$(cpu_ticks)
BUSY_DURING=$(other_busy "$T0" "$T1")
[ "$BUSY_DURING" -lt 10 ] || log "warning: ${BUSY_DURING}% of the CPUs were busy with other work while timing"
rm_out
measure_anon
rm_out
# The Parquet file's size (written once more, untimed).
"$BIN" keys "$DUMP" --quiet --format parquet -o "$TMP/output" 2>/dev/null || true
PARQUET_SIZE="$(stat -c %s "$TMP/output" 2>/dev/null || echo 0) bytes"
rm_out
export PARQUET_SIZE

# --- report -------------------------------------------------------------------------
machine_facts
export BUSY_DURING PREBUILT
OUT=benches/results-speed-$(date +%F).md
[ -s "$OUT" ] && echo >>"$OUT"
python3 - <<'EOF' | tee -a "$OUT"
import json, os
env = os.environ
tmp, size, n = env["TMP"], int(env["SIZE"]), int(env["NCMDS"])
res = json.load(open(os.path.join(tmp, "hf.json")))["results"]

def kb(name, i):
    try:
        return int(open(os.path.join(tmp, "%s.%d" % (name, i))).read().strip() or 0)
    except (OSError, ValueError):
        return 0

def t(x):
    return "%.3f s" % x if x >= 1 else "%.1f ms" % (x * 1e3)

def cpu(r):
    return r["user"] + r["system"]

def mbs(r):
    return size / r["mean"] / 1e6

print("## Speed of every reading command, %s" % env["DATE"])
print()
print("Dump: `%s`, %d bytes (%.1f MB). hyperfine -N, %s warm-up + %s runs per row, warm page cache."
      % (env["DUMP"], size, size / 1e6, env["WARMUP"], env["RUNS"]))
print()
print("| command | mean ± σ | min | user + sys CPU | MB/s | peak RssAnon | other CPU |")
print("|---|---:|---:|---:|---:|---:|---:|")
for i, r in enumerate(res):
    sd = r["stddev"] or 0.0
    if r["max"] < 1:
        wall = "%.1f ms ± %.1f" % (r["mean"] * 1e3, sd * 1e3)
    else:
        wall = "%.3f s ± %.3f" % (r["mean"], sd)
    a = kb("anonkb", i)
    try:
        busy = open(os.path.join(tmp, "busy.%d" % i)).read().strip() + " %"
    except OSError:
        busy = "—"
    cells = ["`%s`" % r["command"], wall, t(r["min"]), t(cpu(r)), "%.0f" % mbs(r),
             "—" if not a else "< 1 MiB" if a < 1024 else "%.0f MiB" % (a / 1024), busy]
    print("| " + " | ".join(cells) + " |")
print()
print("MB = 10^6 bytes; MB/s = dump size / mean wall time. user + sys CPU: the means of"
      " hyperfine's `user` and `system` times (all threads of the process). Peak RssAnon:"
      " `benches/peak_anon.sh`, one run, sampled every 10 ms (heap and stacks, without the"
      " mapped dump). Report output is discarded (hyperfine); keys and dump write with -o to"
      " a temporary file, deleted before every run (untimed). Default threads: one per core"
      " (%s here). Other CPU: how busy the CPUs were with work other than this script while"
      " that row was timed%s."
      % (env["NPROC"], (" (a row above %s %% was timed again, up to %s tries in all, keeping"
                        " the quietest)" % (env["MAX_BUSY"], env["TRIES"])) if env.get("MAX_BUSY") else ""))
print()

by = {r["command"]: r for r in res}
ref, walk = by["redis-check-rdb DUMP"], by["walk DUMP (record-walk floor)"]
t1 = by["rdbscope report DUMP --format json --threads 1"]
t2 = by["rdbscope report DUMP --format json --threads 2"]
rep = by["rdbscope report DUMP --format json"]
keys, keys1 = by["rdbscope keys DUMP --format csv -o FILE"], by["rdbscope keys DUMP --format csv -o FILE --threads 1"]
dump, dump1 = by["rdbscope dump DUMP --format jsonl -o FILE"], by["rdbscope dump DUMP --format jsonl -o FILE --threads 1"]
pq = by["rdbscope keys DUMP --format parquet -o FILE"]
s = 2 * t2["mean"] / t1["mean"] - 1
def busy(label):
    i = next(i for i, r in enumerate(res) if r["command"] == label)
    try:
        return int(open(os.path.join(tmp, "busy.%d" % i)).read().strip())
    except (OSError, ValueError):
        return 0
limit = int(env.get("MAX_BUSY") or 10)
worst = max(busy(t1["command"]), busy(t2["command"]))
print("Derived (from the means):")
print()
print("- report (default threads) / redis-check-rdb, wall: %.3f (%s / %s)"
      % (rep["mean"] / ref["mean"], t(rep["mean"]), t(ref["mean"])))
print("- report --threads 1 / walk floor, user + sys CPU: %.2f (%s / %s)"
      % (cpu(t1) / cpu(walk), t(cpu(t1)), t(cpu(walk))))
print("- report 1 → 2 threads speedup, wall: T1 / T2 = %.2f× (%s → %s)"
      % (t1["mean"] / t2["mean"], t(t1["mean"]), t(t2["mean"])))
print("- serial fraction of report (Amdahl with 2 threads: T2 = T1 · (s + (1 − s) / 2),"
      " so s = 2 · T2 / T1 − 1): s = %.3f%s"
      % (s, " (meaningless: fewer than 2 CPUs)" if int(env["NPROC"]) < 2 else
         " (skewed: up to %d %% of the CPUs were busy with other work while the 1- and"
         " 2-thread rows ran)" % worst if worst > limit else
         " (below 0: more than 2× faster with 2 threads)" if s < 0 else ""))
print("- keys --format csv: %.0f MB/s (default threads), %.0f MB/s (--threads 1)"
      % (mbs(keys), mbs(keys1)))
print("- dump --format jsonl: %.0f MB/s (default threads), %.0f MB/s (--threads 1)"
      % (mbs(dump), mbs(dump1)))
print("- keys --format parquet: %.0f MB/s, %.2f× the CSV's time; the file: %s"
      % (mbs(pq), pq["mean"] / keys["mean"], env.get("PARQUET_SIZE", "?")))
print()
during = ""
if env.get("BUSY_DURING"):
    during = "; while timing: %s %% busy with other work" % env["BUSY_DURING"]
print("Machine: %s CPUs (`nproc`), %s; %s; %s; redis-tools %s; %s (git %s%s); %s;"
      " before timing: %s %% of the CPUs busy with other work, 1-min load average %s%s."
      % (env["NPROC"], env["cpu"], env["KERNEL"], env["RUSTC"], env["redis_ver"],
         env["rdbscope_ver"], env["rev"], "; " + env["PREBUILT"] if env.get("PREBUILT") else "",
         env["HFVER"], env["BUSY_START"], env["LOAD_START"], during))
EOF
log "appended to $OUT"
