#!/usr/bin/env bash
# The layering check must catch what it guards: a copy of src/ and include/ where core
# includes a replay header, sql a private header of replay, and a file sits directly in
# src/, each reported with file, line and layer, exit 1; the untouched copy passes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/src" "$root/include" "$tmp/"

python3 "$here/check_includes.py" "$tmp" "$here/allowed.txt" >"$tmp/clean.out"

lines=$(wc -l <"$tmp/src/core/crc32.cpp")
echo '#include "binlogkit/replay/replay.hpp"' >>"$tmp/src/core/crc32.cpp"
sql_lines=$(wc -l <"$tmp/src/sql/writer.cpp")
echo '#include "replay/progress_rows.hpp"' >>"$tmp/src/sql/writer.cpp"
echo '#include "binlogkit/core/bytes.hpp"' >"$tmp/src/flat.cpp"
rc=0
python3 "$here/check_includes.py" "$tmp" "$here/allowed.txt" >"$tmp/bad.out" || rc=$?
fail() { echo "FAIL: $*"; cat "$tmp/bad.out"; exit 1; }
[[ $rc == 1 ]] || fail "exit $rc, expected 1"
grep -qxF "src/core/crc32.cpp:$((lines + 1)): core includes binlogkit/replay/replay.hpp of layer replay, above it (core may include: core)" "$tmp/bad.out" ||
  fail "core -> replay not reported"
grep -qxF "src/sql/writer.cpp:$((sql_lines + 1)): sql includes replay/progress_rows.hpp of layer replay, above it (sql may include: core events rows sql)" "$tmp/bad.out" ||
  fail "sql -> replay's private header not reported"
grep -qF "src/flat.cpp: in no layer" "$tmp/bad.out" || fail "a file directly in src/ not reported"
[[ $(grep -c . "$tmp/bad.out") == 4 ]] || fail "expected 3 problems and the summary"
echo "PASS: upward includes reported"
