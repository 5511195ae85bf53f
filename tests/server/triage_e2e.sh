#!/usr/bin/env bash
# End-to-end test of `binlogkit triage` on a real MariaDB source and replica.
#
# Usage: tests/server/triage_e2e.sh [BINLOGKIT] torn-tail|flip-middle
#   BINLOGKIT: the binlogkit binary (default: $BINLOGKIT, else build/binlogkit)
#
# What happens, all in a temporary directory on 127.0.0.1 (scripts/replication-pair):
#  1. A source and a replica replicate the standard workload until caught up.
#  2. The replica's SQL thread is stopped and a "tail" workload runs on the source (small
#     transactions, one of 3000 rows that spans several relay logs, more small ones); the
#     IO thread fetches all of it into relay logs. Then STOP SLAVE, and the replica is
#     switched to file/position replication (CHANGE MASTER TO MASTER_USE_GTID=no with
#     RELAY_LOG_FILE/RELAY_LOG_POS at its SQL thread's position, which keeps the relay
#     logs): with MASTER_USE_GTID=slave_pos MariaDB discards all relay logs whenever
#     replication starts with both threads stopped and fetches again from
#     @@gtid_slave_pos, so a damaged relay log would never be read. The replica server is
#     shut down; the tail is in the relay logs but not executed.
#  3. The relay log is damaged:
#       torn-tail    the last relay log is truncated in the middle of the last event of
#                    its last replicated transaction (what follows, e.g. the Stop event
#                    the replica writes at shutdown, goes too), as a crash while the IO
#                    thread was writing leaves it;
#       flip-middle  one byte in the middle of a relay log that is not the last one and
#                    holds only tail events (not executed yet) is inverted.
#  4. The replica server is started again and its SQL thread runs until it stops at the
#     damage, as in a real incident; then STOP SLAVE.
#  5. `binlogkit triage --json RELAY-INDEX` must exit 1 (damaged, with a plan), name the
#     damaged file and, told nothing about the executed position, say so and resume from
#     the server's own state (resume.mode server_state). With relay-log.info and
#     master.info it must resume exactly where the replica's last applied transaction
#     ends in the source's binlog. The plan is run on the replica: for torn-tail the one
#     of the info files (file/position, then after_catch_up_sql back to GTIDs), for
#     flip-middle the one given nothing (RESET SLAVE, MASTER_USE_GTID=slave_pos).
#  6. The replica must catch up with the source, use GTIDs again, and CHECKSUM TABLE ...
#     EXTENDED of every table must be the same on both.
# Exit 0 on success, non-zero with a message naming the failed step. The servers are
# always stopped and the directory removed (KEEP_WORK=1 keeps the directory for a look).
# TRIAGE_EXTRA_ARGS: more arguments for triage (split at spaces).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
pair=$root/scripts/replication-pair
sandbox=$root/scripts/mariadb-sandbox

usage() {
  sed -n '4,5p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

bin=${BINLOGKIT:-$root/build/binlogkit}
case $# in
  1) mode=$1 ;;
  2) bin=$1 mode=$2 ;;
  *) usage ;;
esac
case $mode in
  torn-tail | flip-middle) ;;
  *) usage ;;
esac

test_name="triage_e2e ($mode)"
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "binlogkit binary not found or not executable: $bin"
bin=$(cd -- "$(dirname -- "$bin")" && pwd -P)/$(basename -- "$bin")
need_tools mariadbd mariadb-install-db mariadb mariadb-admin od dd truncate timeout jq
if command -v jq >/dev/null 2>&1; then
  json_tool=jq
elif command -v python3 >/dev/null 2>&1; then
  json_tool=python3
else
  fail "neither jq nor python3 found (needed to read triage's JSON)"
fi

export TZ=UTC
make_work bk-triage
rep=$work/replica
src=$work/source
relay_index=$rep/relay/relay-bin.index
replica_id=2
cleanup_hook() { "$pair" stop "$work" >/dev/null 2>&1 || true; }

# slave_field FIELD: one field of the replica's SHOW SLAVE STATUS.
slave_field() { slave_status_field "$rep" "$1"; }


relay_files() { sed 's|^.*/||' "$relay_index"; }

# Base names of the files in triage's damage list, one per line.
damage_files() {
  if [[ $json_tool == jq ]]; then
    jq -r '.damage[]?.file // empty' "$1" | sed 's|^.*/||'
  else
    python3 - "$1" <<'PY'
import json, os, sys
for d in json.load(open(sys.argv[1])).get("damage") or []:
    if d.get("file"):
        print(os.path.basename(d["file"]))
PY
  fi
}

# resume_point FILE: "source_file source_pos" of triage's resume point (base name).
resume_point() {
  if [[ $json_tool == jq ]]; then
    jq -r '"\(.resume.source_file | sub("^.*/"; "")) \(.resume.source_pos)"' "$1"
  else
    python3 - "$1" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))["resume"]
print(os.path.basename(r["source_file"]), r["source_pos"])
PY
  fi
}

# ---------------------------------------------------------------------------------------
step "start a source and a replica"
"$pair" start "$work" -- --max-relay-log-size=4096 --max-binlog-size=8192 ||
  fail "could not start the pair"

step "replicate the workload"
"$pair" workload "$work" || fail "workload failed on the source"
"$pair" wait-caught-up "$work" 120 || fail "replica did not catch up"

step "stop the SQL thread, run the tail workload, let the IO thread fetch it"
q "$rep" 'STOP SLAVE SQL_THREAD' || fail "STOP SLAVE SQL_THREAD"
sql "$src" <<'SQL' || fail "tail workload failed on the source"
SET TIMESTAMP = 1700000600;
SET SESSION binlog_format = 'ROW';
SET SESSION max_recursive_iterations = 100000;
CREATE TABLE app.tail (id INT NOT NULL PRIMARY KEY, v SMALLINT NOT NULL) ENGINE=InnoDB;
BEGIN;
UPDATE app.accounts SET balance = balance + 5 WHERE id = 1;
INSERT INTO app.tail VALUES (-1, 1), (-2, 2);
COMMIT;
SET SESSION binlog_format = 'STATEMENT';
UPDATE app.big SET v = v + 3 WHERE id BETWEEN 200 AND 260;
SET SESSION binlog_format = 'ROW';
BEGIN;
INSERT INTO app.tail (id, v)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
  SELECT i, i * 13 % 1000 FROM n;
UPDATE app.accounts SET balance = balance - 5 WHERE id = 1;
COMMIT;
INSERT INTO audit.log (what, at) VALUES ('tail', NOW());
BEGIN;
DELETE FROM app.tail WHERE id % 100 = 0;
UPDATE app.accounts SET note = 'tail' WHERE id = 4;
INSERT INTO app.tail VALUES (-3, 3);
COMMIT;
SQL
"$pair" wait-received "$work" 120 || fail "IO thread did not fetch the tail"
q "$rep" 'STOP SLAVE' || fail "STOP SLAVE"
executed_file=$(slave_field Relay_Log_File)
executed_pos=$(slave_field Relay_Log_Pos)
[[ -n $executed_file && $executed_pos =~ ^[0-9]+$ ]] || fail "no SQL thread position in SHOW SLAVE STATUS"
echo "SQL thread stopped in $executed_file at $executed_pos, gtid_slave_pos $(q "$rep" 'SELECT @@gtid_slave_pos')"

step "switch the replica to file/position replication, keeping its relay logs"
q "$rep" "CHANGE MASTER TO MASTER_USE_GTID = no,
  RELAY_LOG_FILE = '$executed_file', RELAY_LOG_POS = $executed_pos" || fail "CHANGE MASTER TO"
[[ $(slave_field Using_Gtid) == No ]] || fail "replica still uses GTIDs"

step "stop the replica server"
"$sandbox" stop "$rep" || fail "could not stop the replica"
mapfile -t files < <(relay_files)
((${#files[@]} >= 3)) || fail "expected several relay logs, got: ${files[*]}"
echo "relay logs: ${files[*]}"

step "damage the relay log ($mode)"
damaged=""
case $mode in
  torn-tail)
    damaged=${files[-1]}
    last=""
    # The last event of a replicated transaction: from the source, and none of Stop (3),
    # Rotate (4), Format_description (15), Binlog_checkpoint (161), Gtid_list (163).
    while read -r off len type sid; do
      ((sid == replica_id)) && continue
      case $type in 3 | 4 | 15 | 161 | 163) continue ;; esac
      last="$off $len $type"
    done < <(events "$rep/relay/$damaged")
    [[ -n $last ]] || fail "$damaged holds no replicated transaction"
    read -r off len type <<<"$last"
    cut=$((off + len / 2))
    truncate -s "$cut" -- "$rep/relay/$damaged"
    echo "truncated $damaged to $cut bytes: in the middle of the event of type $type at $off (length $len)"
    ;;
  flip-middle)
    # A relay log after the one the SQL thread stopped in (so none of it is executed),
    # and not the last one.
    past=0
    for ((i = 0; i < ${#files[@]} - 1; i++)); do
      if ((past)); then damaged=${files[i]}; break; fi
      [[ ${files[i]} == "$executed_file" ]] && past=1
    done
    [[ -n $damaged ]] || fail "no relay log between $executed_file and the last one (${files[*]})"
    f=$rep/relay/$damaged
    size=$(stat -c %s -- "$f")
    at=$((size / 2))
    inside=""
    while read -r off len type _; do
      if ((at >= off && at < off + len)); then inside="event of type $type at $off (length $len)"; fi
    done < <(events "$f")
    old=$(u8 "$f" "$at")
    new=$((old ^ 0xff))
    printf '%b' "\\x$(printf '%02x' "$new")" | dd of="$f" bs=1 seek="$at" conv=notrunc status=none
    [[ $(u8 "$f" "$at") == "$new" ]] || fail "could not write $f"
    printf 'inverted the byte at %s:%d (0x%02x -> 0x%02x), inside the %s\n' "$damaged" "$at" "$old" "$new" "$inside"
    ;;
esac

step "restart the replica and let its SQL thread run into the damage"
"$pair" start "$work" --no-start-slave >/dev/null || fail "could not restart the replica"
q "$rep" 'START SLAVE SQL_THREAD' || fail "START SLAVE SQL_THREAD"
# Until the SQL thread stops (an error) or has read everything and waits, at most 60 s.
deadline=$((SECONDS + 60))
idle=0
while :; do
  running=$(slave_field Slave_SQL_Running)
  [[ $running == No ]] && break
  if [[ $(slave_field Slave_SQL_Running_State) == *"read all relay log"* ]]; then
    idle=$((idle + 1))
    ((idle >= 5)) && break
  else
    idle=0
  fi
  ((SECONDS < deadline)) || fail "the SQL thread neither stopped nor went idle in 60 s"
  sleep 0.2
done
echo "SQL thread: running=$running, error $(slave_field Last_SQL_Errno): $(slave_field Last_SQL_Error)"
exec_file=$(slave_field Relay_Master_Log_File)
exec_pos=$(slave_field Exec_Master_Log_Pos)
q "$rep" 'STOP SLAVE' || fail "STOP SLAVE"
echo "SQL thread executed up to $exec_file:$exec_pos (Relay_Master_Log_File, Exec_Master_Log_Pos)"
echo "replica executed up to gtid_slave_pos $(q "$rep" 'SELECT @@gtid_slave_pos')," \
  "source has $(q "$src" 'SELECT @@gtid_binlog_pos')"

step "binlogkit triage"
extra=()
if [[ -n ${TRIAGE_EXTRA_ARGS:-} ]]; then read -r -a extra <<<"$TRIAGE_EXTRA_ARGS"; fi
echo "\$ binlogkit triage --json ${extra[*]} $relay_index"
rc=0
timeout 300 "$bin" triage --json "${extra[@]}" "$relay_index" >"$work/triage.json" 2>"$work/triage.err" || rc=$?
cat "$work/triage.json"
cat "$work/triage.err" >&2
case $rc in
  1) ;;
  0) fail "triage exit 0 (nothing damaged), expected 1" ;;
  124) fail "triage did not finish in 300 s" ;;
  *) fail "triage exit $rc, expected 1 (damaged, resume point found)" ;;
esac
found=$(damage_files "$work/triage.json") || fail "triage's output is not valid JSON"
grep -qxF -- "$damaged" <<<"$found" || fail "triage's damage list does not name $damaged (it names: ${found//$'\n'/ })"

# Where the source's binlog has the end of the transaction the replica applied last
# (gtid_slave_pos, the server's own answer), from the source's SHOW BINLOG EVENTS: the
# position replication must resume from. (Exec_Master_Log_Pos is no oracle here: when
# the SQL thread has read the source's Rotate, MariaDB shows the new file name with the
# old file's position.)
applied_gtid=$(q "$rep" 'SELECT @@gtid_slave_pos')
expected=""
for f in $(q "$src" 'SHOW BINARY LOGS' | cut -f1); do
  expected+=$(q "$src" "SHOW BINLOG EVENTS IN '$f'" | awk -F'\t' -v g="$applied_gtid" '
    $3 == "Gtid" { inside = ($6 ~ ("GTID " g "$")) ; next }
    inside && ($3 == "Xid" || ($3 == "Query" && $6 ~ /^COMMIT/)) { print $1, $5; inside = 0 }')
done
[[ -n $expected ]] || fail "GTID $applied_gtid not found in the source's binlogs"
echo "the replica applied $applied_gtid, which ends at $expected in the source's binlog"
# Told nothing, the last good received point is no resume point: the server decides.
[[ $(jq -r '.resume.mode' "$work/triage.json") == server_state ]] ||
  fail "given nothing, triage resumes in mode $(jq -r '.resume.mode' "$work/triage.json"), expected server_state"
[[ $(jq -r '.notes[0]' "$work/triage.json") == "the replica's executed position is unknown"* ]] ||
  fail "given nothing, the first note does not say that the executed position is unknown"

step "binlogkit triage with the replica's relay-log.info and master.info"
info=$(find "$rep" -name relay-log.info -print -quit)
minfo=$(find "$rep" -name master.info -print -quit)
[[ -n $info && -n $minfo ]] || fail "relay-log.info or master.info not found under $rep"
rc=0
timeout 300 "$bin" triage --json --relay-log-info "$info" --master-info "$minfo" "$relay_index" \
  >"$work/triage-info.json" 2>"$work/triage-info.err" || rc=$?
cat "$work/triage-info.err" >&2
((rc == 1)) || fail "triage with the info files exit $rc, expected 1"
point=$(resume_point "$work/triage-info.json") || fail "no resume point in triage's output"
# relay-log.info may be past the last transaction by bookkeeping events the SQL thread
# applied after it (a Binlog_checkpoint, say): resuming there skips nothing either. Any
# other event between the two, in the source's own binlog, would be skipped.
if [[ $point != "$expected" ]]; then
  read -r exp_file exp_pos <<<"$expected"
  read -r got_file got_pos <<<"$point"
  [[ $got_file == "$exp_file" ]] && ((got_pos > exp_pos)) ||
    fail "with relay-log.info, triage resumes at $point, the last applied transaction ends at $expected"
  between=$(q "$src" "SHOW BINLOG EVENTS IN '$exp_file'" | awk -F'\t' -v a="$exp_pos" -v b="$got_pos" '
    $2 >= a && $5 <= b { print $3 }')
  [[ -n $between ]] || fail "with relay-log.info, triage resumes at $point, not at an event end after $expected"
  while read -r type; do
    case $type in
      Binlog_checkpoint | Gtid_list) ;;
      *) fail "with relay-log.info, triage resumes at $point, past a $type event after $expected" ;;
    esac
  done <<<"$between"
  echo "resumes at $point: after $expected and only $(tr '\n' ' ' <<<"$between")that the replica applied"
fi
echo "relay-log.info: $(tr '\n' ' ' <"$info")"

step "carry out the resume plan"
case $mode in
  torn-tail) plan_json=$work/triage-info.json plan_key=resume_sql_position ;;
  flip-middle) plan_json=$work/triage.json plan_key=resume_sql ;;
esac
plan=$(jq -r --arg k "$plan_key" '.[$k][] | . + ";"' "$plan_json") || fail "no $plan_key in triage's output"
[[ -n ${plan//[[:space:]]/} ]] || fail "resume_sql is empty"
echo "$plan"
sql "$rep" <<<"$plan" || fail "the resume plan failed on the replica"

step "wait until the replica has caught up"
"$pair" wait-caught-up "$work" 180 || fail "replica did not catch up after the resume plan"
after=$(jq -r '.after_catch_up_sql[]? | . + ";"' "$plan_json")
if [[ -n $after ]]; then
  echo "$after"
  sql "$rep" <<<"$after" || fail "after_catch_up_sql failed on the replica"
  "$pair" wait-caught-up "$work" 180 || fail "replica did not catch up after after_catch_up_sql"
fi
[[ $(slave_field Using_Gtid) == Slave_Pos ]] || fail "the plan leaves the replica with Using_Gtid $(slave_field Using_Gtid)"

step "compare checksums"
"$pair" checksums "$src" >"$work/source.checksums" || fail "checksums on the source"
"$pair" checksums "$rep" >"$work/replica.checksums" || fail "checksums on the replica"
cat "$work/source.checksums"
[[ -s $work/source.checksums ]] || fail "no tables on the source"
if ! diff -u "$work/source.checksums" "$work/replica.checksums"; then
  fail "the replica's data differs from the source's (diff above: - source, + replica)"
fi

echo "triage_e2e ($mode): OK"
