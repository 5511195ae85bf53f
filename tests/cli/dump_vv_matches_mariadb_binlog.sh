#!/usr/bin/env bash
# `binlogkit dump -vv` prints the row lines ("### ...") of every binlog written by the real
# MariaDB 10.11 in testdata/ exactly as `mariadb-binlog -vv` does. Oracle: mariadb-binlog,
# run here on the same files.
#
# Usage: dump_vv_matches_mariadb_binlog.sh BINLOGKIT [FILE...]
#   With FILEs (e.g. the binlogs of tests/server/rows_values_e2e.sh) those are compared
#   instead of testdata/, and every one must be.
set -euo pipefail
bin=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
files=("$@")
want=${#files[@]}
if ((want == 0)); then
  files=("$root"/testdata/mariadb-10.11/{mixed.00000{1,2,3,4,5},minimal.000001,compressed.000001,nochecksum.000001})
  want=8
fi
command -v mariadb-binlog >/dev/null || { echo "mariadb-binlog not installed"; exit 1; }
# mariadb-binlog writes the data of LOAD DATA events as files (SQL_LOAD_MB-*) into TMPDIR
# unless told where: a directory of our own, removed at the end.
work=$(mktemp -d "${TMPDIR:-/tmp}/bk-vv.XXXXXX")
load=$work/load
mkdir -- "$load"
trap 'rm -rf -- "$work"' EXIT
status=0
checked=0
compared=0
for f in "${files[@]}"; do
  [[ -f $f ]] || { echo "missing: $f"; exit 1; }
  # Both tools must succeed (a tool that failed prints nothing, and two empty outputs
  # compare equal), and the files together must hold row lines.
  "$bin" dump -vv "$f" >"$work/ours.full" || { echo "binlogkit dump -vv failed on $f"; exit 1; }
  TZ=UTC mariadb-binlog --no-defaults --local-load="$load" -vv --base64-output=decode-rows "$f" \
    >"$work/theirs.full" 2>"$work/theirs.err" || { cat "$work/theirs.err"; echo "mariadb-binlog failed on $f"; exit 1; }
  [[ -s $work/ours.full && -s $work/theirs.full ]] || { echo "an empty listing of $f"; exit 1; }
  # grep exits 1 when a file has no row lines (statement-based binlogs): not an error here.
  { grep -a '^###' "$work/ours.full" || [[ $? == 1 ]]; } >"$work/ours"
  { grep -a '^###' "$work/theirs.full" || [[ $? == 1 ]]; } >"$work/theirs"
  compared=$((compared + $(wc -l <"$work/theirs")))
  if ! cmp -s "$work/ours" "$work/theirs"; then
    echo "DIFFERENT: $f"
    diff "$work/ours" "$work/theirs" | head -20
    status=1
  fi
  checked=$((checked + 1))
  echo "ok: $(basename "$f") ($(wc -l <"$work/ours") row lines)"
done
[[ $checked -ge $want ]] || { echo "only $checked files checked"; exit 1; }
((compared > 0)) || { echo "no row lines compared in ${#files[@]} files"; exit 1; }
echo "$compared row lines compared"
exit $status
