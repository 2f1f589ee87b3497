#!/usr/bin/env bash
# Time `rdbscope report` on one dump read five ways, side by side: the file,
# piped through stdin, the .zst file, `zstd -dc | report -`, and the
# decompressor alone (what the .zst rows may add to the file's time).
#
#   benches/stream.sh [DUMP] [--runs N] [--warmup N] [--size-mb N]
#
# DUMP defaults to benches/data/bench-1g.rdb (generated with
# benches/gen_dump.py when missing); DUMP.zst is made with `zstd -3` when
# missing. Builds `cargo build --release`, times each command with hyperfine
# (through a shell, warm page cache), samples the peak RssAnon of the
# rdbscope process (its heap and stacks: a mapped file or the page cache of
# its temporary copy do not count), and prints a Markdown table to stdout
# and appends it to benches/results-stream-DATE.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=benches/lib.sh
. benches/lib.sh

SCRIPT=stream.sh
DUMP=benches/data/bench-1g.rdb
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
SIZE_MB=1024

usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; }

parse_args "$@"
ensure_tools
command -v zstd >/dev/null || { log "installing zstd (apt-get)"; apt-get install -y -qq zstd >&2; }
ensure_dump
build_release
[ -f "$DUMP.zst" ] || { log "compressing $DUMP"; zstd -q -3 -T0 "$DUMP" -o "$DUMP.zst"; }

q=$(printf '%q' "$DUMP")
LABELS=("report FILE" "cat FILE | report -" "report FILE.zst" "zstd -dc FILE.zst | report -"
        "zstd -dc FILE.zst > /dev/null")
CMDS=("$BIN report $q --format json"
      "cat $q | $BIN report - --format json"
      "$BIN report $q.zst --format json"
      "zstd -dc $q.zst | $BIN report - --format json"
      "zstd -dc $q.zst > /dev/null")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The same answer every way (the file name aside).
want=$(eval "${CMDS[0]}" | sed 's/"file":"[^"]*"//g' | md5sum)
for i in 1 2 3; do
  got=$(eval "${CMDS[i]}" | sed 's/"file":"[^"]*"//g' | md5sum)
  [ "$got" = "$want" ] || { log "$SCRIPT: '${LABELS[i]}' gives another report"; exit 1; }
done

timing_start
hf=(hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/hf.json")
for i in "${!CMDS[@]}"; do hf+=(-n "${LABELS[i]}" "${CMDS[i]}"); done
"${hf[@]}" >&2

# Peak RssAnon of the rdbscope process of each command, sampled every 10 ms.
for i in "${!CMDS[@]}"; do
  sh -c "${CMDS[i]}" >/dev/null &
  pid=$! peak=0
  while kill -0 "$pid" 2>/dev/null; do
    for p in $(pgrep -x rdbscope || true); do
      kb=$(awk '/^RssAnon:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
      [ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
    done
    sleep 0.01
  done
  wait "$pid"
  echo "$peak" >"$TMP/anon.$i"
done

machine_facts
OUT=benches/results-stream-$(date +%F).md
python3 - "$TMP" "${LABELS[@]}" <<'EOF' | tee -a "$OUT"
import json, os, sys
tmp, labels = sys.argv[1], sys.argv[2:]
env = os.environ
res = json.load(open(tmp + "/hf.json"))["results"]
base, unzstd = res[0]["mean"], res[4]["mean"]
print(f"## `rdbscope report`: a file, a pipe, zstd — {env['DATE']}\n")
print(f"Dump: `{env['DUMP']}` ({int(env['SIZE']) / 1e9:.2f} GB), {env['RUNS']} runs after {env['WARMUP']} warm-up, warm page cache.\n")
print("| command | mean ± σ (s) | vs `report FILE` | allowed (1.3 × file + decompressor) | peak RssAnon of rdbscope |")
print("|---|---|---|---|---|")
for i, (l, r) in enumerate(zip(labels, res)):
    anon = int(open(f"{tmp}/anon.{i}").read().strip() or 0)
    allowed = 1.3 * base + (unzstd if "zst" in l else 0)
    cols = [f"`{l}`".replace("|", "\\|"), f"{r['mean']:.3f} ± {r['stddev']:.3f}", f"{r['mean'] / base:.2f}×",
            f"{allowed:.2f}" if i in (1, 2, 3) else "", f"{anon / 1024:.0f} MiB" if i < 4 else ""]
    print("| " + " | ".join(cols) + " |")
print(f"\nMachine: {env['cpu']}, {env['NPROC']} CPUs, {env['KERNEL']}; {env['rdbscope_ver']} ({env['rev']}), {env['RUSTC']}, {env['HFVER']}; load {env['LOAD_START']}, {env['BUSY_START']}% of the CPUs busy with other work before timing.\n")
EOF
log "appended to $OUT"
