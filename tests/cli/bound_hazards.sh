#!/usr/bin/env bash
# Hazards at the start and stop points of `replay` and `sql`, and at the end of a `salvage`
# copy, on mixed.000002 (MariaDB 10.11: session 7 creates temporary table logs.tmp_totals at
# 3094 in 0-1-31, which ends at 3232; 0-1-32 (3232..3468) uses it at 3274; it is dropped at
# 3773 in 0-1-34, which ends at 3899). The replay checks run before it connects: port 9 of
# the loopback refuses the connection, so a replay that passes the check exits 1.
set -euo pipefail
bin=$1
old=${2:-}
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
m=$td/mixed.000002
conn=(--no-defaults -h 127.0.0.1 -P 9 -u nobody)
opened="temporary_table \`logs\`.\`tmp_totals\` opened at $m:3094 GTID 0-1-31, thread 7"
advice="start at or before $m:3094 (its CREATE) or recreate \`logs\`.\`tmp_totals\` in session 7 first"
why="a replica restarted since the point, or a replay starting at it, lacks the table (error 1146)"

# replay: refused inside the temporary table's life (exit 3, nothing applied, no connection).
run 3 "$bin" replay "$m" --start-position 3232 "${conn[@]}"
has err "binlogkit: replay stopped: the start point $m:3232 has 1 hazard(s) that a replay starting there cannot apply: start at or before where each opened, or --ignore-hazards to replay anyway"
has err "  at:        $m:3232 (GTID 0-1-31)"
has err "  hazard:    $opened, needed by $m:3274: $advice"
has err "binlogkit: applied by this run: nothing"
lacks err "cannot connect"
# The same start named by --include-gtids (the first kept transaction is 0-1-32 at 3232).
run 3 "$bin" replay "$m" --include-gtids 0-1-32 "${conn[@]}"
has err "  hazard:    $opened, needed by $m:3274: $advice"
# A start inside 0-1-31 (3100): the stream skips that transaction whole, the start is 3232.
run 3 "$bin" replay "$m" --start-position 3100 "${conn[@]}"
has err "the start point $m:3232 has 1 hazard(s)"
# --ignore-hazards: warned, then the replay goes on (and fails to connect here: exit 1).
run 1 "$bin" replay "$m" --start-position 3232 --ignore-hazards "${conn[@]}"
has err "binlogkit: warning: hazard at the start point $m:3232: $opened, needed by $m:3274: $advice"
has err "cannot connect"
# Needed only after the stop point (the stop at 3274 is inside 0-1-32, so the stop point is
# 3232 and 3274 is never applied): warned, not refused.
run 1 "$bin" replay "$m" --start-position 3232 --stop-position 3274 "${conn[@]}"
has err "binlogkit: warning: hazard at the start point $m:3232: $opened, needed by $m:3274: $advice"
has err "cannot connect"
# Before the CREATE and after the DROP: no hazard, nothing said.
for p in 3052 3899; do
  run 1 "$bin" replay "$m" --start-position $p "${conn[@]}"
  lacks err "hazard"
  has err "cannot connect"
done
# A stop inside the temporary table's life: warned (the stop point is the start of the
# transaction holding 3300), not refused.
run 1 "$bin" replay "$m" --stop-position 3300 "${conn[@]}"
has err "binlogkit: warning: hazard at the stop point $m:3232: $opened, may be needed later (not looked for, or the input ends first): $advice"
has err "cannot connect"

# sql: the same as comments at the top; nothing when there are none.
run 0 "$bin" sql "$m" --start-position 3232
[[ -s $work/out ]] || fail "sql wrote nothing"
line1=$(head -n 1 "$work/out")
[[ $line1 == "-- hazard: at the start point $m:3232: $opened, needed by $m:3274: $advice: $why" ]] ||
  fail "sql first line: $line1"
[[ $(grep -c '^-- hazard' "$work/out") == 1 ]] || fail "sql: one hazard line expected"
run 0 "$bin" sql "$m" --start-position 3232 --stop-position 3300
[[ $(sed -n 2p "$work/out") == "-- hazard: at the stop point $m:3232: $opened, may be needed later (not looked for, or the input ends first): $advice: $why" ]] ||
  fail "sql stop line: $(sed -n 2p "$work/out")"
for p in 3052 3899; do
  run 0 "$bin" sql "$m" --start-position $p
  [[ -s $work/out ]] || fail "sql wrote nothing"
  lacks out "hazard"
  if [[ -n $old ]]; then  # the build before the check: byte-identical output
    "$old" sql "$m" --start-position $p >"$work/old" 2>/dev/null
    cmp -s "$work/out" "$work/old" || fail "sql --start-position $p differs from the old build"
  fi
done

# salvage: what is open where the copy ends (3232), on stderr; the copy is unchanged.
head -c 3300 "$m" >"$work/cut.000002"
run 0 "$bin" salvage "$work/cut.000002" "$work/copy.000002"
c=$work/cut.000002
has err "binlogkit: hazard at the end of the copy ($c:3232): temporary_table \`logs\`.\`tmp_totals\` opened at $c:3094 GTID 0-1-31, thread 7, may be needed later (not looked for, or the input ends first): start at or before $c:3094"
has err "binlogkit: reading on after the end of the copy stopped early ($c: truncated at offset 3274"
[[ $(stat -c %s "$work/copy.000002") == 3232 ]] || fail "salvage copy size"
run 0 "$bin" salvage "$m" "$work/whole.000002"
lacks err "hazard"
[[ $failures == 0 ]]
