#!/usr/bin/env bash
# `binlogkit dump -vv` prints the row lines ("### ...") of every binlog written by the real
# MariaDB 10.11 in testdata/ exactly as `mariadb-binlog -vv` does. Oracle: mariadb-binlog,
# run here on the same files.
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v mariadb-binlog >/dev/null || { echo "mariadb-binlog not installed"; exit 1; }
status=0
checked=0
for f in "$root"/testdata/mariadb-10.11/{mixed.00000{1,2,3,4,5},minimal.000001,compressed.000001,nochecksum.000001}; do
  [[ -f $f ]] || continue
  ours=$("$bin" dump -vv "$f" | grep -a '^###' || true)
  theirs=$(TZ=UTC mariadb-binlog --no-defaults -vv --base64-output=decode-rows "$f" 2>/dev/null | grep -a '^###' || true)
  if [[ "$ours" != "$theirs" ]]; then
    echo "DIFFERENT: $f"
    diff <(echo "$ours") <(echo "$theirs") | head -20
    status=1
  fi
  checked=$((checked + 1))
  lines=$(printf '%s\n' "$ours" | grep -c . || true)
  echo "ok: $(basename "$f") ($lines row lines)"
done
[[ $checked -ge 8 ]] || { echo "only $checked files checked"; exit 1; }
exit $status
