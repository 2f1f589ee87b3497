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

DUMP=benches/data/bench-1g.rdb
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
SIZE_MB=1024
EXTRA=()

usage() { sed -n '2,16s/^# \{0,1\}//p' "$0"; }

while (($#)); do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --runs=*) RUNS=${1#*=}; shift ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --warmup=*) WARMUP=${1#*=}; shift ;;
    --size-mb) SIZE_MB=$2; shift 2 ;;
    --size-mb=*) SIZE_MB=${1#*=}; shift ;;
    --cmd) EXTRA+=("$2"); shift 2 ;;
    --cmd=*) EXTRA+=("${1#*=}"); shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "bench.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) DUMP=$1; shift ;;
  esac
done

log() { printf '%s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
command -v redis-check-rdb >/dev/null || missing+=(redis-tools)
if [ ! -f "$DUMP" ] && ! command -v redis-server >/dev/null; then missing+=(redis-server); fi
if ((${#missing[@]})); then
  log "installing ${missing[*]} (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

# --- the dump -----------------------------------------------------------------
if [ ! -f "$DUMP" ]; then
  log "generating $DUMP (${SIZE_MB} MiB) with benches/gen_dump.py"
  mkdir -p "$(dirname "$DUMP")"
  python3 benches/gen_dump.py --size-mb "$SIZE_MB" --out "$DUMP" | tee "$DUMP.gen.txt" >&2
fi
SIZE=$(stat -c %s "$DUMP")

# --- the binary -----------------------------------------------------------------
log "cargo build --release"
cargo build --release >&2
BIN=${CARGO_TARGET_DIR:-target}/release/rdbscope

LABELS=("rdbscope verify" "redis-check-rdb")
CMDS=("$BIN verify {file}" "redis-check-rdb {file}")
for e in "${EXTRA[@]+"${EXTRA[@]}"}"; do
  case $e in
    *'|'*) LABELS+=("${e%%|*}"); CMDS+=("${e#*|}") ;;
    *) LABELS+=("$e"); CMDS+=("$e") ;;
  esac
done
QFILE=$(printf '%q' "$DUMP")
for i in "${!CMDS[@]}"; do CMDS[i]=${CMDS[i]//\{file\}/$QFILE}; done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# --- sanity: every command succeeds on this dump ------------------------------------
for i in "${!CMDS[@]}"; do
  log "check: ${CMDS[i]}"
  if ! eval "${CMDS[i]}" >"$TMP/out.$i" 2>&1; then
    tail -5 "$TMP/out.$i" >&2
    log "bench.sh: '${CMDS[i]}' failed on $DUMP"
    exit 1
  fi
  tail -n 2 "$TMP/out.$i" | sed 's/^/    /' >&2
done

# --- timing ----------------------------------------------------------------------
# CPU use by other processes just before timing (this script is idle then):
# a busy machine skews the numbers.
cpu_busy() {
  local a b
  read -r -a a < /proc/stat; sleep 2; read -r -a b < /proc/stat
  local t=0 i
  for i in 1 2 3 4 5 6 7 8; do t=$((t + b[i] - a[i])); done
  echo $((100 * (t - (b[4] - a[4]) - (b[5] - a[5])) / (t > 0 ? t : 1)))
}
BUSY_START=$(cpu_busy)
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
[ "$BUSY_START" -lt 10 ] || log "warning: ${BUSY_START}% of the CPUs busy with other work; timings will be skewed"
HF=(hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/hf.json")
for i in "${!CMDS[@]}"; do HF+=(-n "${LABELS[i]}" "${CMDS[i]}"); done
"${HF[@]}" >&2

# --- peak RSS (one run each, warm cache) -------------------------------------------------
for i in "${!CMDS[@]}"; do
  eval "/usr/bin/time -v -o \"\$TMP/rss.$i\" ${CMDS[i]}" >/dev/null 2>&1
  awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/rss.$i" >"$TMP/rsskb.$i"
done

# --- report -------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
rdbscope_ver=$("$BIN" --version 2>/dev/null || echo "rdbscope ?")
rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
git diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || rev="$rev+dirty"
redis_ver=$(dpkg-query -W -f '${Version}' redis-tools 2>/dev/null || redis-check-rdb --version 2>/dev/null | head -1)
OUT=benches/results-$(date +%F).md

export TMP SIZE DUMP RUNS WARMUP cpu rdbscope_ver rev redis_ver
export NPROC=$(nproc) KERNEL="$(uname -srm)" RUSTC="$(rustc -V)" HFVER="$(hyperfine --version)"
export NCMDS=${#CMDS[@]} DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" LOAD_START BUSY_START
python3 - <<'EOF' | tee "$OUT"
import json, os
env = os.environ
tmp = env["TMP"]
size = int(env["SIZE"])
res = json.load(open(os.path.join(tmp, "hf.json")))["results"]
rss = [int(open(os.path.join(tmp, "rsskb.%d" % i)).read().strip() or 0) for i in range(int(env["NCMDS"]))]
ref = next(r["mean"] for r in res if r["command"] == "redis-check-rdb")

print("## `rdbscope verify` vs `redis-check-rdb`, %s" % env["DATE"])
print()
print("Dump: `%s`, %d bytes (%.1f MiB). hyperfine, %s warm-up + %s runs, warm page cache."
      % (env["DUMP"], size, size / 2**20, env["WARMUP"], env["RUNS"]))
print()
print("| command | mean ± σ | min … max | throughput | peak RSS | vs redis-check-rdb |")
print("|---|---:|---:|---:|---:|---:|")
for r, kb in zip(res, rss):
    mean, sd = r["mean"], r["stddev"] or 0.0
    if r["command"] == "redis-check-rdb":
        rel = "1.00 (baseline)"
    elif mean <= ref:
        rel = "%.2f× faster" % (ref / mean)
    else:
        rel = "%.2f× slower" % (mean / ref)
    print("| `%s` | %.3f s ± %.3f | %.3f … %.3f s | %.0f MB/s | %.0f MiB | %s |"
          % (r["command"], mean, sd, r["min"], r["max"], size / mean / 1e6, kb / 1024, rel))
print()
print("MB = 10^6 bytes; throughput = dump size / mean time. Peak RSS: `/usr/bin/time -v`,"
      " one run; it counts the pages of a memory-mapped input that were read.")
print()
print("Machine: %s CPUs (`nproc`), %s; %s; %s; redis-tools %s; %s (%s); %s;"
      " when timing started: %s%% of the CPUs busy with other work, 1-min load average %s."
      % (env["NPROC"], env["cpu"], env["KERNEL"], env["RUSTC"], env["redis_ver"],
         env["rdbscope_ver"], env["rev"], env["HFVER"], env["BUSY_START"], env["LOAD_START"]))
EOF
log "wrote $OUT"
