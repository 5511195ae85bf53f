#!/usr/bin/env bash
# `binlogkit hazards`: exit codes 0 / 1 / 2, the human lines and the --json shape, on
# mixed.000002 (MariaDB 10.11: session 7 creates temporary table logs.tmp_totals at 3094 in
# 0-1-31, which ends at 3232; it is next used at 3274; dropped at 3773; 0-1-34 ends at 3899).
set -euo pipefail
bin=$1
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
m=$td/mixed.000002

run 0 "$bin" hazards "$m" --at 3052
has out "mixed.000002:3052 (GTID state 0-1-30,2-1-1): no hazards"
run 0 "$bin" hazards "$m" --at mixed.000002:3899
has out "no hazards"

run 1 "$bin" hazards "$m" --at 3232
has out "mixed.000002:3232 (GTID state 0-1-31,2-1-1): 1 hazard(s)"
has out "temporary_table \`logs\`.\`tmp_totals\` session 7 opened at $m:3094, needed by $m:3274: start at or before"

# The same point named by its GTID, through the index of the set.
run 1 "$bin" hazards "$td/mixed.index" --at 0-1-31 --json
python3 - "$work/out" <<'PY' || fail "hazards --json shape"
import json, sys
text = open(sys.argv[1]).read()
assert text.strip(), "empty output"
r = json.loads(text)
assert list(r) == ["at", "hazards"], list(r)
assert r["at"]["file"].endswith("mixed.000002") and r["at"]["pos"] == 3232, r["at"]
assert r["at"]["gtid_state"] == "0-1-31,2-1-1", r["at"]
assert len(r["hazards"]) == 1, r["hazards"]
h = r["hazards"][0]
assert list(h) == ["kind", "schema", "table", "pseudo_thread_id", "opened", "needed_by", "advice"], list(h)
assert (h["kind"], h["schema"], h["table"], h["pseudo_thread_id"]) == ("temporary_table", "logs", "tmp_totals", 7), h
assert h["opened"]["pos"] == 3094 and h["opened"]["gtid"] == "0-1-31", h["opened"]
assert h["needed_by"]["pos"] == 3274 and h["needed_by"]["gtid"] == "0-1-32", h["needed_by"]
assert h["advice"].startswith("start at or before "), h["advice"]
PY

# Needed by nothing within the input: needed_by is null ("may be needed later").
head -c 3232 "$m" >"$work/cut.000002"
run 1 "$bin" hazards "$work/cut.000002" --at 3232 --json
python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))["hazards"]
assert len(h) == 1 and h[0]["needed_by"] is None, h
' "$work/out" || fail "needed_by null at the end of the input"
run 1 "$bin" hazards "$work/cut.000002" --at 3232
has out "may be needed later"

# 2: not an event boundary, past the end, a GTID not in the input, unreadable input,
# a bad point.
run 2 "$bin" hazards "$m" --at 3300
has err "mixed.000002: offset 3300 is not where an event starts"
run 2 "$bin" hazards "$m" --at 99999
has err "offset 99999 is past the end of the file"
run 2 "$bin" hazards "$m" --at 0-1-999
has err "no transaction of the GTID set 0-1-999 is in the input"
printf 'not a binlog at all' >"$work/text"
run 2 "$bin" hazards "$work/text" --at 4
has err "not a binlog"
# A byte flipped before the point (inside mixed.000001's event at 1074): the
# checksum mismatch is named, with the file and offset; none is given as an answer.
cp "$td/mixed.000001" "$work/flipped.000001"
printf '\x55' | dd of="$work/flipped.000001" bs=1 seek=2000 conv=notrunc status=none
size=$(stat -c %s "$work/flipped.000001")
run 2 "$bin" hazards "$work/flipped.000001" --at "$size"
has err "flipped.000001: checksum_mismatch at offset 1074 (Query event, type 2)"
lacks out "hazard"
# At the damaged event itself, the damage is after the point: an answer, and a warning that
# reading on stopped there. Before it, with nothing open, nothing is read on: no warning.
run 0 "$bin" hazards "$work/flipped.000001" --at 1074
has out "flipped.000001:1074 (GTID state 0-1-3): no hazards"
has err "reading on stopped early, $work/flipped.000001: checksum_mismatch at offset 1074"
run 0 "$bin" hazards "$work/flipped.000001" --at 475
has out "flipped.000001:475 (GTID state 0-1-1): no hazards"
lacks err "reading on stopped"
run 2 "$bin" hazards "$m" --at nowhere
has err "--at nowhere: a point is FILE:POS, POS, or a GTID set"
run 2 "$bin" hazards "$td/mixed.index" --at 3232
has err "a position without a file name needs one input"
[[ $failures == 0 ]]
