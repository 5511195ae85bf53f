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
load=$(mktemp -d "${TMPDIR:-/tmp}/bk-vv-load.XXXXXX")
trap 'rm -rf -- "$load"' EXIT
status=0
checked=0
for f in "${files[@]}"; do
  [[ -f $f ]] || continue
  ours=$("$bin" dump -vv "$f" | grep -a '^###' || true)
  theirs=$(TZ=UTC mariadb-binlog --no-defaults --local-load="$load" -vv --base64-output=decode-rows "$f" 2>/dev/null | grep -a '^###' || true)
  if [[ "$ours" != "$theirs" ]]; then
    echo "DIFFERENT: $f"
    diff <(echo "$ours") <(echo "$theirs") | head -20
    status=1
  fi
  checked=$((checked + 1))
  lines=$(printf '%s\n' "$ours" | grep -c . || true)
  echo "ok: $(basename "$f") ($lines row lines)"
done
[[ $checked -ge $want ]] || { echo "only $checked files checked"; exit 1; }
exit $status
