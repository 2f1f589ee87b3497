#!/usr/bin/env bash
# keys --format parquet against keys --format csv on one dump, run in turn
# (CSV, Parquet, CSV, Parquet…) so that a drift in the machine's speed
# touches both alike: prints each pair's wall and CPU times and the median
# of the pairs' ratios (the figure #14's "within 1.5× of the CSV" is read
# from). Sequential timings (benches/speed.sh) move by ±20 % between rows
# on a shared VM; pairs move far less.
#
#   benches/parquet_vs_csv.sh [DUMP] [PAIRS]
#
# DUMP defaults to benches/data/bench-1g.rdb, PAIRS to 9. RDBSCOPE_BIN
# names a prebuilt binary (else `cargo build --release`). Outputs go to a
# temporary directory, deleted on exit; one untimed warm-up pair first.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dump=${1:-$here/benches/data/bench-1g.rdb}
pairs=${2:-9}
bin=${RDBSCOPE_BIN:-}
if [ -z "$bin" ]; then
  (cd "$here" && cargo build --release --quiet)
  bin=$here/target/release/rdbscope
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One run: "wall cpu" in seconds (GNU time's %e and %U + %S).
timed() {
  rm -f "$tmp/out"
  /usr/bin/time -f '%e %U %S' -o "$tmp/t" "$bin" keys "$dump" --quiet -o "$tmp/out" "$@" 2>/dev/null
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$tmp/t"
}
timed --format csv >/dev/null
timed --format parquet >/dev/null
printf '%-5s %10s %10s %10s %10s %8s %8s\n' pair csv_wall csv_cpu pq_wall pq_cpu wall_x cpu_x
for i in $(seq 1 "$pairs"); do
  read -r cw cc < <(timed --format csv)
  read -r pw pc < <(timed --format parquet)
  printf '%-5s %10s %10s %10s %10s %8.3f %8.3f\n' "$i" "$cw" "$cc" "$pw" "$pc" \
    "$(echo "$pw / $cw" | bc -l)" "$(echo "$pc / $cc" | bc -l)"
done | tee "$tmp/pairs"
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "median Parquet / CSV: wall $(awk '{print $6}' "$tmp/pairs" | median)×, CPU $(awk '{print $7}' "$tmp/pairs" | median)×"
echo "dump: $dump ($(stat -c %s "$dump") bytes); $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); rdbscope $(cd "$here" && git describe --always --dirty 2>/dev/null || echo '?')"
