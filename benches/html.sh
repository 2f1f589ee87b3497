#!/usr/bin/env bash
# Time to ready of the HTML report page in headless Chromium.
#
#   benches/html.sh [DUMP] [--runs N]
#
# Writes `rdbscope report DUMP --format html` (DUMP defaults to
# benches/data/bench-1g.rdb when it exists, else
# fixtures/redis-7.0/everything.rdb), then opens the page RUNS times (default
# 5; RUNS=N works too), each in a fresh headless Chromium with an empty
# profile, through tests/browser/check.mjs, and prints the page's size, each
# run's time to ready (navigation start to body[data-ready], as the page's
# clock says) and the median. Not a test: nothing fails on a slow page.
#
# Needs Debian's chromium, node and `npm ci --prefix tests/browser`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { printf '%s\n' "$*" >&2; }
usage() { sed -n '2,13s/^# \{0,1\}//p' "$0"; }

DUMP=
RUNS=${RUNS:-5}
while (($#)); do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --runs=*) RUNS=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) log "html.sh: unknown option $1"; usage >&2; exit 2 ;;
    *) DUMP=$1; shift ;;
  esac
done
if [ -z "$DUMP" ]; then
  DUMP=benches/data/bench-1g.rdb
  [ -f "$DUMP" ] || DUMP=fixtures/redis-7.0/everything.rdb
fi
[ -f "$DUMP" ] || { log "html.sh: no dump $DUMP"; exit 2; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { log "html.sh: no ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"; exit 2; }
[ -d tests/browser/node_modules/playwright-core ] || { log "html.sh: run npm ci --prefix tests/browser first"; exit 2; }

log "building target/release/rdbscope"
cargo build --release --quiet
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

log "writing the report page of $DUMP"
start=$(date +%s%N)
target/release/rdbscope report "$DUMP" --format html -o "$TMP/page.html" --quiet
made_ms=$((($(date +%s%N) - start) / 1000000))
bytes=$(stat -c %s "$TMP/page.html")

times=()
for i in $(seq 1 "$RUNS"); do
  # only_ready: check.mjs stops once the page is drawn (no screenshots).
  json=$(node tests/browser/check.mjs "$TMP/page.html" "$TMP/out" '{"only_ready":true}')
  ms=$(node -e '
    const o = JSON.parse(process.argv[1]);
    if (o.ready.value !== "1") { console.error("not ready:", JSON.stringify(o.ready)); process.exit(1); }
    if (o.console.length || o.pageerrors.length || o.requests.length) console.error("note:", JSON.stringify({ console: o.console, pageerrors: o.pageerrors, requests: o.requests }));
    console.log(o.ready.ms);' "$json")
  log "run $i: ready in $ms ms"
  times+=("$ms")
done
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')

echo "dump:        $DUMP ($(stat -c %s "$DUMP") bytes)"
echo "page:        $bytes bytes (written in $made_ms ms)"
echo "chromium:    $("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | head -1)"
echo "ready (ms):  ${times[*]}"
echo "median:      $median ms over $RUNS runs"
