#!/usr/bin/env bash
# Exit codes and inputs a script relies on: verify 0/1/2, triage 0/1/3/2, dump from
# standard input, JSON lines that parse, salvage refusing to overwrite.
set -euo pipefail
bin=$1
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
expect() { run "$@"; }  # expect CODE command...

expect 0 "$bin" verify "$td/mixed.000001"
cp "$td/mixed.000001" "$work/flipped"
printf '\x55' | dd of="$work/flipped" bs=1 seek=2000 conv=notrunc status=none
expect 1 "$bin" verify "$work/flipped"
grep -q "checksum_mismatch at offset" "$work/out" || fail "verify did not name the checksum mismatch"
printf 'not a binlog at all' >"$work/text"
expect 2 "$bin" verify "$work/text"
expect 2 "$bin" verify "$work/missing.000001"

# triage: clean set 0, damaged with a resume point 1, nothing to resume from 3, unreadable 2
expect 0 "$bin" triage "$td/mixed.index"
expect 1 "$bin" triage "$work/flipped"
head -c 366 "$td/mixed.000001" >"$work/cut"
expect 3 "$bin" triage "$work/cut"
expect 2 "$bin" triage "$work/text"
{ "$bin" triage --json "$work/flipped" || true; } | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["exit"] == 1, r["exit"]
assert r["damage"][0]["kind"] == "checksum_mismatch", r["damage"]
assert r["last_good"]["relay_pos"] < r["damage"][0]["offset"] + 1, r["last_good"]
assert r["resume_sql"], "no resume statements"
' || fail "triage --json"

# A relay-log set torn at its tail, no executed point given: the summary must not call the
# last good received point a resume point (the SQL thread may be far behind it).
mkdir "$work/relay"
cp "$root"/testdata/relay/mariadb-10.11/relay-bin.0000?? "$root"/testdata/relay/mariadb-10.11/relay-bin.index "$work/relay/"
truncate -s -7 "$work/relay/relay-bin.000013"  # inside the replica's closing Stop event at 1113
expect 1 "$bin" triage "$work/relay/relay-bin.index"
has err "13 file(s), 148 events, 22 complete transactions before the damage: damaged (1 range(s)), resume from the replica's own executed state (last good received point: source binlog.000005:817, GTID 0-1-22)"
lacks err "resume at source"
has out "CHANGE MASTER TO MASTER_USE_GTID = slave_pos;"

# An index naming one file twice: read twice, its transactions would count twice. Refused.
sed '5p' "$work/relay/relay-bin.index" >"$work/relay/twice.index"
for cmd in triage verify dump sql; do
  expect 2 "$bin" "$cmd" "$work/relay/twice.index"
  has err "binlogkit: $work/relay/twice.index (relay-bin.000005 on lines 5 and 6): the index lists a file twice: fix the index, or give the files themselves"
done

# --executed-gtids behind the last good state: resume from what the replica executed
set +e; out=$("$bin" triage --executed-gtids 0-1-1 "$work/flipped"); set -e
grep -q "SET GLOBAL gtid_slave_pos = '0-1-1'" <<<"$out" || fail "executed GTIDs behind the damage not used"
# ... and the file/position plan, when printed, is that same point: 0-1-1 ends at 475.
grep -q "MASTER_LOG_FILE = 'flipped', MASTER_LOG_POS = 475, MASTER_USE_GTID = no" <<<"$out" ||
  fail "the file/position plan is not where 0-1-1 ends (475)"

# dump from standard input equals dump of the file; every --json line parses
diff <("$bin" dump - <"$td/mixed.000002" | sed 's/^# at \([0-9]*\)$/# at \1/') <("$bin" dump "$td/mixed.000002") >/dev/null ||
  fail "dump from stdin differs"
"$bin" dump --json -v "$td/minimal.000001" | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    json.loads(line); n += 1
assert n > 10, n
' || fail "dump --json lines do not parse"

# salvage writes a clean copy and never overwrites
expect 0 "$bin" salvage "$work/flipped" "$work/saved"
expect 0 "$bin" verify "$work/saved"
expect 2 "$bin" salvage "$work/flipped" "$work/saved"
# sql: a LOAD DATA directory a statement cannot name as printable ASCII is refused at once
expect 2 "$bin" sql "$td/mixed.000001" --local-load "$work/load-$(printf '\xc3\xa9')"
grep -qF "cannot be named in a LOAD DATA statement" "$work/err" || fail "sql: no message for a non-ASCII --local-load"
[[ ! -s $work/out ]] || fail "sql wrote SQL with a --local-load it refused"
expect 0 "$bin" sql "$td/mixed.000001" --local-load "$work/load-ok"
[[ -s $work/out ]] || fail "sql wrote nothing"
echo "exit codes: ok"
