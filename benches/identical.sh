#!/usr/bin/env bash
# Output identity for speed work: runs every reading command of two rdbscope
# binaries over the same dumps and compares stdout, stderr and exit code byte
# for byte (at --threads 1, 2 and 4 where the command has the option).
#
#   benches/identical.sh OLD_BINARY NEW_BINARY [DUMP...]
#
# With no DUMP: every .rdb under fixtures/ and ../shared/corpus/ (the broken
# ones too: their errors must not change either), plus
# benches/data/bench-1g.rdb when it exists. Prints one line per difference
# and exits 1 if there was any.
set -u
old=$1 new=$2
shift 2
dumps=("$@")
if [ ${#dumps[@]} -eq 0 ]; then
  here=$(cd "$(dirname "$0")/.." && pwd)
  mapfile -t dumps < <(find "$here/fixtures" "$here/../shared/corpus" -name '*.rdb' 2>/dev/null | sort)
  [ -f "$here/benches/data/bench-1g.rdb" ] && dumps+=("$here/benches/data/bench-1g.rdb")
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
diffs=0 runs=0
run() { # label, then the arguments after the binary
  local label=$1
  shift
  for b in old new; do
    local bin=$old
    [ $b = new ] && bin=$new
    "$bin" "$@" >"$tmp/$b.out" 2>"$tmp/$b.err"
    echo $? >"$tmp/$b.rc"
    # A file written with -o is compared too.
    [ -f "$tmp/o.file" ] && mv "$tmp/o.file" "$tmp/$b.file"
  done
  runs=$((runs + 1))
  # Parquet is compared by content (schema, then rows both ways, DuckDB):
  # how a writer lays out pages may change, what a reader gets may not. The
  # file's size on stderr goes with the layout.
  if [ -f "$tmp/old.file" ] && [ "$(head -c4 "$tmp/old.file")" = PAR1 ]; then
    sed -i 's/, [0-9.]* [KMG]\?i\?B$//' "$tmp/old.err" "$tmp/new.err"
    if python3 "$(dirname "$0")/same_parquet.py" "$tmp/old.file" "$tmp/new.file"; then
      rm -f "$tmp/old.file" "$tmp/new.file"
    fi
  fi
  for part in out err rc file; do
    [ -e "$tmp/old.$part" ] || [ -e "$tmp/new.$part" ] || continue
    if ! cmp -s "$tmp/old.$part" "$tmp/new.$part"; then
      echo "DIFFERS ($part): $label"
      diffs=$((diffs + 1))
    fi
  done
  rm -f "$tmp"/old.* "$tmp"/new.*
}
for d in "${dumps[@]}"; do
  for t in 1 2 4; do
    run "report --threads $t $d" report "$d" --format json --threads $t
    run "doctor --threads $t $d" doctor "$d" --format json --threads $t
  done
  run "report text $d" report "$d"
  run "bigkeys $d" bigkeys "$d" --format json
  run "prefixes $d" prefixes "$d" --format json
  run "expiry $d" expiry "$d" --format json
  run "verify $d" verify "$d"
  run "keys csv $d" keys "$d" --format csv -o "$tmp/o.file"
  run "keys jsonl $d" keys "$d" --format jsonl -o "$tmp/o.file"
  run "dump jsonl $d" dump "$d" --format jsonl -o "$tmp/o.file"
  run "keys parquet $d" keys "$d" --format parquet --label a=b -o "$tmp/o.file"
  # Other targets: libc's slack, 8.2's key objects, Valkey's tables.
  for t in "--allocator libc" "--target redis-8.2" "--target valkey-9.1 --allocator libc" "--target redis-6.2"; do
    run "keys csv $t $d" keys "$d" $t --format csv -o "$tmp/o.file"
  done
done
echo "$runs comparisons over ${#dumps[@]} dumps, $diffs differences"
[ $diffs -eq 0 ]
