# Shell functions shared by the scripts in benches/ (bench.sh, report.sh,
# stream.sh, speed.sh).
# Source it (after `cd` to the repository root); it does nothing by itself.
#
# The caller sets SCRIPT (its name, for messages) and the defaults DUMP,
# RUNS, WARMUP, SIZE_MB, then calls parse_args "$@"; then, in order:
# ensure_tools, ensure_dump, build_release, set_commands (LABELS/CMDS),
# check_commands, timing_start, run_hyperfine, measure_rss, machine_facts,
# render_table.

log() { printf '%s\n' "$*" >&2; }

# --- arguments: [DUMP] [--runs N] [--warmup N] [--size-mb N] [--cmd 'LABEL|COMMAND']...
EXTRA=()
parse_args() {
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
      -*) echo "$SCRIPT: unknown option $1" >&2; usage >&2; exit 2 ;;
      *) DUMP=$1; shift ;;
    esac
  done
}

# --- tools: hyperfine, /usr/bin/time, redis-check-rdb (and redis-server when
# the dump has to be generated), from apt-get when missing.
ensure_tools() {
  local sudo= missing=()
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  command -v hyperfine >/dev/null || missing+=(hyperfine)
  [ -x /usr/bin/time ] || missing+=(time)
  command -v redis-check-rdb >/dev/null || missing+=(redis-tools)
  if [ ! -f "$DUMP" ] && ! command -v redis-server >/dev/null; then missing+=(redis-server); fi
  if ((${#missing[@]})); then
    log "installing ${missing[*]} (apt-get)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
  fi
}

# --- the dump: generated with gen_dump.py (--size-mb) when missing; sets SIZE.
ensure_dump() {
  if [ ! -f "$DUMP" ]; then
    log "generating $DUMP (${SIZE_MB} MiB) with benches/gen_dump.py"
    mkdir -p "$(dirname "$DUMP")"
    python3 benches/gen_dump.py --size-mb "$SIZE_MB" --out "$DUMP" | tee "$DUMP.gen.txt" >&2
  fi
  SIZE=$(stat -c %s "$DUMP")
}

# --- the binary: sets BIN (and rev, see git_rev).
build_release() {
  log "cargo build --release"
  cargo build --release >&2
  BIN=${CARGO_TARGET_DIR:-target}/release/rdbscope
  # The revision the binary was built from (the tree may change while timing).
  git_rev src Cargo.toml Cargo.lock
}

# git_rev PATH...: sets rev, the short HEAD, with "+dirty" when the given
# paths differ from it (changed or new files).
git_rev() {
  rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
  if ! git diff --quiet HEAD -- "$@" 2>/dev/null ||
    [ -n "$(git ls-files --others --exclude-standard -- "$@" 2>/dev/null)" ]; then
    rev="$rev+dirty"
  fi
}

# --- the commands: LABELS/CMDS as set by the caller, plus --cmd rows;
# `{file}` becomes the (shell-quoted) dump. Creates TMP (removed on exit).
set_commands() {
  local e i qfile
  for e in "${EXTRA[@]+"${EXTRA[@]}"}"; do
    case $e in
      *'|'*) LABELS+=("${e%%|*}"); CMDS+=("${e#*|}") ;;
      *) LABELS+=("$e"); CMDS+=("$e") ;;
    esac
  done
  qfile=$(printf '%q' "$DUMP")
  for i in "${!CMDS[@]}"; do CMDS[i]=${CMDS[i]//\{file\}/$qfile}; done
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
}

# --- sanity: every command succeeds on this dump (its last lines, cut to 160
# characters, go to stderr).
check_commands() {
  local i
  for i in "${!CMDS[@]}"; do
    log "check: ${CMDS[i]}"
    if ! eval "${CMDS[i]}" >"$TMP/out.$i" 2>&1; then
      tail -5 "$TMP/out.$i" >&2
      log "$SCRIPT: '${CMDS[i]}' failed on $DUMP"
      exit 1
    fi
    tail -n 2 "$TMP/out.$i" | cut -c1-160 | sed 's/^/    /' >&2
  done
}

# --- CPU use by other processes -------------------------------------------------
# cpu_busy: percent of all CPUs busy during the next two seconds (this script
# is idle then, so it is all other work).
cpu_busy() {
  local a b
  read -r -a a < /proc/stat; sleep 2; read -r -a b < /proc/stat
  local t=0 i
  for i in 1 2 3 4 5 6 7 8; do t=$((t + b[i] - a[i])); done
  echo $((100 * (t - (b[4] - a[4]) - (b[5] - a[5])) / (t > 0 ? t : 1)))
}

# cpu_ticks: "TOTAL BUSY OWN" clock ticks so far: all CPUs (total, busy =
# total - idle - iowait) and this shell with its waited-for children (the
# benchmarked commands, hyperfine, ...).
cpu_ticks() {
  local a own
  read -r -a a < /proc/stat
  own=$(sed 's/^.*) //' "/proc/$$/stat" | awk '{print $12 + $13 + $14 + $15}')
  local t=0 i
  for i in 1 2 3 4 5 6 7 8; do t=$((t + a[i])); done
  echo "$t $((t - a[4] - a[5])) $own"
}

# other_busy "TICKS BEFORE" "TICKS AFTER": percent of all CPUs busy with work
# other than this script and its children in between.
other_busy() {
  local -a a=($1) b=($2)
  local t=$((b[0] - a[0])) busy=$((b[1] - a[1] - (b[2] - a[2])))
  ((busy > 0)) || busy=0
  echo $((100 * busy / (t > 0 ? t : 1)))
}

# timing_start: BUSY_START and LOAD_START (the 1-minute load average), with a
# warning when the machine is busy.
timing_start() {
  BUSY_START=$(cpu_busy)
  LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
  [ "$BUSY_START" -lt 10 ] || log "warning: ${BUSY_START}% of the CPUs busy with other work; timings will be skewed"
}

# run_hyperfine: every command, -N (no shell), results in $TMP/hf.json.
run_hyperfine() {
  local i hf=(hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/hf.json")
  for i in "${!CMDS[@]}"; do hf+=(-n "${LABELS[i]}" "${CMDS[i]}"); done
  "${hf[@]}" >&2
}

# run_hyperfine_each: one hyperfine call per command (same options), so that
# the CPU use by other work can be told per row ($TMP/busy.N, percent, see
# other_busy); the results are merged into $TMP/hf.json. With MAX_BUSY set, a
# row timed while more than MAX_BUSY% of the CPUs were busy with other work is
# timed again (after waiting up to a minute for a quiet moment), up to TRIES
# times in all (default 3); the try with the least other work is kept.
# PREPARE[i], when set and not empty, is run (untimed, no shell) before each
# run of row i: hyperfine's --prepare, e.g. to delete the row's output file.
run_hyperfine_each() {
  local i try t0 t1 b best prep
  for i in "${!CMDS[@]}"; do
    best=
    prep=()
    [ -z "${PREPARE[i]:-}" ] || prep=(--prepare "${PREPARE[i]}")
    for ((try = 1; try <= ${TRIES:-3}; try++)); do
      t0=$(cpu_ticks)
      hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/try.json" \
        "${prep[@]+"${prep[@]}"}" -n "${LABELS[i]}" "${CMDS[i]}" >&2
      t1=$(cpu_ticks)
      b=$(other_busy "$t0" "$t1")
      if [ -z "$best" ] || [ "$b" -lt "$best" ]; then
        best=$b
        mv "$TMP/try.json" "$TMP/hf.$i.json"
        echo "$b" >"$TMP/busy.$i"
      fi
      [ -n "${MAX_BUSY:-}" ] && [ "$best" -gt "$MAX_BUSY" ] && [ "$try" -lt "${TRIES:-3}" ] || break
      log "${LABELS[i]}: timed while ${b}% of the CPUs were busy with other work; again (try $((try + 1)))"
      wait_quiet "$MAX_BUSY" 30
    done
  done
  python3 -c '
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
res = [json.load(open("%s/hf.%d.json" % (tmp, i)))["results"][0] for i in range(n)]
json.dump({"results": res}, open(tmp + "/hf.json", "w"))' "$TMP" "${#CMDS[@]}"
}

# wait_quiet PCT N: up to N two-second samples until one shows at most PCT%
# of the CPUs busy.
wait_quiet() {
  local k
  for ((k = 0; k < $2; k++)); do
    [ "$(cpu_busy)" -gt "$1" ] || return 0
  done
}

# measure_rss: peak RSS of one run each (/usr/bin/time -v) into $TMP/rsskb.N.
measure_rss() {
  local i
  for i in "${!CMDS[@]}"; do
    eval "/usr/bin/time -v -o \"\$TMP/rss.$i\" ${CMDS[i]}" >/dev/null 2>&1
    awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/rss.$i" >"$TMP/rsskb.$i"
  done
}

# measure_anon: peak RssAnon of one run each (benches/peak_anon.sh) into $TMP/anonkb.N.
measure_anon() {
  local i
  for i in "${!CMDS[@]}"; do
    eval "benches/peak_anon.sh ${CMDS[i]}" 2>/dev/null | sed -n 's/.*(\([0-9]*\) KiB).*/\1/p' >"$TMP/anonkb.$i"
  done
}

# machine_facts: exports what render_table prints below the table.
machine_facts() {
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  rdbscope_ver=$("$BIN" --version 2>/dev/null || echo "rdbscope ?")
  redis_ver=$(dpkg-query -W -f '${Version}' redis-tools 2>/dev/null || redis-check-rdb --version 2>/dev/null | head -1)
  export TMP SIZE DUMP RUNS WARMUP cpu rdbscope_ver rev redis_ver
  export NPROC=$(nproc) KERNEL="$(uname -srm)" RUSTC="$(rustc -V)" HFVER="$(hyperfine --version)"
  export NCMDS=${#CMDS[@]} DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" LOAD_START BUSY_START
}

# render_table: the Markdown table on stdout. Environment (besides
# machine_facts): TITLE (the heading, without the date); BASELINE (the
# command label the last column compares with; default redis-check-rdb);
# ANON=1 adds a peak RssAnon column; BUSYCOL=1 a column with $TMP/busy.N
# (CPU busy with other work while that row was timed); NOTES, extra paragraphs after the RSS
# note; BUSY_DURING, when set, is appended to the machine line.
render_table() {
  python3 - <<'EOF'
import json, os
env = os.environ
tmp = env["TMP"]
size = int(env["SIZE"])
base = env.get("BASELINE") or "redis-check-rdb"
anon = env.get("ANON") == "1"
busycol = env.get("BUSYCOL") == "1"
res = json.load(open(os.path.join(tmp, "hf.json")))["results"]
n = int(env["NCMDS"])
def kb(name, i):
    try:
        return int(open(os.path.join(tmp, "%s.%d" % (name, i))).read().strip() or 0)
    except OSError:
        return 0
rss = [kb("rsskb", i) for i in range(n)]
anonkb = [kb("anonkb", i) for i in range(n)]
busy = []
for i in range(n):
    try:
        busy.append(open(os.path.join(tmp, "busy.%d" % i)).read().strip() + "%")
    except OSError:
        busy.append("—")
ref = next((r["mean"] for r in res if r["command"] == base), None)

print("## %s, %s" % (env["TITLE"], env["DATE"]))
print()
print("Dump: `%s`, %d bytes (%.1f MiB). hyperfine, %s warm-up + %s runs, warm page cache."
      % (env["DUMP"], size, size / 2**20, env["WARMUP"], env["RUNS"]))
print()
head = ["command", "mean ± σ", "min … max", "throughput", "peak RSS"]
head += ["peak RssAnon"] if anon else []
head += ["vs %s" % base]
head += ["other CPU"] if busycol else []
print("| " + " | ".join(head) + " |")
print("|---|" + "---:|" * (len(head) - 1))
for i, r in enumerate(res):
    mean, sd = r["mean"], r["stddev"] or 0.0
    if r["command"] == base:
        rel = "1.00 (baseline)"
    elif ref is None:
        rel = "—"
    elif mean <= ref:
        rel = "%.2f× faster" % (ref / mean)
    else:
        rel = "%.2f× slower" % (mean / ref)
    if r["max"] < 1:  # sub-second rows in ms, so that small dumps keep their digits
        t = ["%.1f ms ± %.1f" % (mean * 1e3, sd * 1e3), "%.1f … %.1f ms" % (r["min"] * 1e3, r["max"] * 1e3)]
    else:
        t = ["%.3f s ± %.3f" % (mean, sd), "%.3f … %.3f s" % (r["min"], r["max"])]
    cells = ["`%s`" % r["command"]] + t + ["%.0f MB/s" % (size / mean / 1e6),
             "%.0f MiB" % (rss[i] / 1024)]
    if anon:
        a = anonkb[i]
        cells.append("—" if not a else "< 1 MiB" if a < 1024 else "%.0f MiB" % (a / 1024))
    cells.append(rel)
    if busycol:
        cells.append(busy[i])
    print("| " + " | ".join(cells) + " |")
print()
print("MB = 10^6 bytes; throughput = dump size / mean time. Peak RSS: `/usr/bin/time -v`,"
      " one run; it counts the pages of a memory-mapped input that were read.", end="")
if anon:
    print(" Peak RssAnon: `benches/peak_anon.sh`, one run, sampled every 10 ms;"
          " heap and stacks only, without the mapped file.")
else:
    print()
if env.get("NOTES"):
    print()
    print(env["NOTES"])
print()
during = ""
if env.get("BUSY_DURING"):
    during = "; while timing: %s%% busy with other work" % env["BUSY_DURING"]
print("Machine: %s CPUs (`nproc`), %s; %s; %s; redis-tools %s; %s (%s); %s;"
      " when timing started: %s%% of the CPUs busy with other work, 1-min load average %s%s."
      % (env["NPROC"], env["cpu"], env["KERNEL"], env["RUSTC"], env["redis_ver"],
         env["rdbscope_ver"], env["rev"], env["HFVER"], env["BUSY_START"], env["LOAD_START"], during))
EOF
}
