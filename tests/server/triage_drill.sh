#!/usr/bin/env bash
# The triage drill: real MariaDB 10.11 source and replica (GTID slave_pos, CRC32,
# slave_sql_verify_checksum=ON, relay_log_purge=ON as in production, relay logs rotating
# at 16K), damaged relay logs, and `binlogkit triage`'s plan carried out on the replica.
#
# Usage: tests/server/triage_drill.sh [BINLOGKIT] [gtid|position|gtid-nopurge]
#   gtid (default): the replica uses MASTER_USE_GTID=slave_pos; position: after the base
#   is made the replica is switched to file/position replication (MASTER_USE_GTID=no at
#   its SQL thread's relay-log position, which keeps the relay logs) and runs the
#   file/position cells; gtid-nopurge: a GTID replica with relay_log_purge=OFF (every
#   relay log since the first kept) and its cells.
#
#  1. Intact relay-log sets that real servers write must triage clean (exit 0): after the
#     workload (relay_log_purge has removed the head), FLUSH RELAY LOGS, STOP/START SLAVE,
#     a server restart, and a restart with relay_log_recovery=ON.
#  2. The replica's SQL thread is stopped and thousands of transactions run on the source
#     (autocommit rows, a 3000-row transaction spanning relay logs, STATEMENT format with
#     a temporary table, MyISAM writes); the IO thread fetches them; the replica is shut
#     down. Its directory is the base every case starts from (a copy each).
#  3. Each case damages the copy's relay logs, runs `triage --json` with what the case
#     gives it (nothing, relay-log.info + master.info, --executed-gtids, --replica), checks
#     the report (exit code, never a resume point past the executed one, the damaged
#     transaction named when the replica applied it), starts the copy, RUNS THE PLAN's
#     resume_sql (and after_catch_up_sql once caught up), waits until it has caught up and
#     compares every table (CHECKSUM TABLE ... EXTENDED) and the GTID positions with the
#     source.
#     Cases (damage x given): a flipped byte in the middle of an unexecuted relay log x
#     nothing / info / --replica; the last relay log cut inside an event (a torn tail, as
#     kill -9 leaves it; made by truncating the stopped copy) x nothing / --executed-gtids
#     / --replica; a zeroed 4 KiB page x nothing / info; a relay log missing from the
#     middle x nothing; a byte of a transaction the SQL thread already applied x
#     --executed-gtids (it must be named) / nothing; and with the SQL thread caught up
#     (the copy replicates to the end first) a byte of the last applied row event x
#     --replica (named) / nothing; a flipped byte x --replica with no files given (triage
#     finds the replica's relay logs itself); last, a real `kill -9` of the copy's mysqld
#     while its IO thread fetches, the last relay log then cut inside an event x nothing;
#     and the SQL thread stopped inside the STATEMENT session's temporary table's life,
#     the replica restarted (the table lost) x --executed-gtids: triage must say so, and
#     its plan, carried out, stops at the statement that uses the table (1146, as said)
#     without moving the replica's position; triage's --json hazards of kind
#     temporary_table count as many tables as Slave_open_temp_tables said before the
#     restart. The same stop without the restart x --replica: triage says not to restart
#     (the SQL thread still holds the table), and its plan, carried out, makes the replica
#     equal to the source.
#     The intact sets also cover CHANGE MASTER with heartbeats (MASTER_HEARTBEAT_PERIOD).
#     position kind: a zeroed page x info, a relay log missing from the middle x info, a
#     flipped byte x --replica, a torn tail x --executed-gtids. gtid-nopurge kind: a
#     flipped byte x info, a torn tail x --replica, a relay log missing from the middle x
#     nothing. The file/position replica with relay_log_purge=OFF is triage_e2e.sh's.
# Exit 0 on success, else the failed step. Servers are always stopped and the directory
# removed (KEEP_WORK=1 keeps it). DRILL_CASES: a space-separated subset of the case names.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
pair=$root/scripts/replication-pair
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}
kind=${2:-gtid}
[[ $kind == gtid || $kind == position || $kind == gtid-nopurge ]] || { echo "triage_drill: unknown kind $kind" >&2; exit 2; }

test_name="triage_drill($kind)"
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"
[[ -x $bin ]] || fail "binlogkit binary not found or not executable: $bin"
need_tools mariadbd mariadb-install-db mariadb mariadb-admin od dd truncate timeout jq cp sed

export TZ=UTC
make_work bk-drill
src=$work/source
rep=$work/replica
cleanup_hook() {
  local d
  for d in "$work"/case-*/; do [[ -f $d/env ]] && { "$sandbox" stop "$d" >/dev/null 2>&1 || true; }; done
  "$pair" stop "$work" >/dev/null 2>&1 || true
}

flip() {  # flip FILE OFFSET
  local old new
  old=$(u8 "$1" "$2")
  new=$((old ^ 0xff))
  printf '%b' "\\x$(printf '%02x' "$new")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
  [[ $(u8 "$1" "$2") == "$new" ]] || fail "could not write $1"
}
relay_names() { sed 's|^.*/||' "$1/relay/relay-bin.index"; }
# middle_unexecuted DIR: the middle one of the relay logs after the SQL thread's one that
# hold transactions (at least 8 KiB), the last one excluded.
middle_unexecuted() {
  local names=() n past=0 f
  while read -r n; do
    if ((past)); then
      f=$1/relay/$n
      [[ -f $f ]] && (($(stat -c %s -- "$f") >= 8192)) && names+=("$n")
    fi
    [[ $n == "$base_relay_file" ]] && past=1
  done < <(relay_names "$1" | head -n -1)
  ((${#names[@]} >= 3)) || fail "too few unexecuted relay logs: ${names[*]}"
  echo "${names[$(( ${#names[@]} / 2 ))]}"
}

purge=ON
[[ $kind != gtid-nopurge ]] || purge=OFF
replica_opts=(--max-relay-log-size=16384 --max-binlog-size=32768 --relay-log-purge=$purge)

# triage_expect_clean WHAT: triage of the live replica's relay logs exits 0.
triage_expect_clean() {
  local rc=0 out
  out=$("$bin" triage --json "$rep/relay/relay-bin.index" 2>"$work/triage-clean.err") || rc=$?
  [[ -n $out ]] || { cat "$work/triage-clean.err" >&2; fail "$1: triage printed nothing"; }
  if ((rc != 0)); then
    echo "$out" >&2
    cat "$work/triage-clean.err" >&2
    fail "$1: triage exit $rc on an intact relay-log set, expected 0"
  fi
  [[ $(jq -r .verdict <<<"$out") == clean ]] || fail "$1: verdict $(jq -r .verdict <<<"$out")"
  echo "$1: intact, exit 0 ($(relay_names "$rep" | tr '\n' ' '))"
}

# ---------------------------------------------------------------------------------------
step "start a source and a replica (relay_log_purge=$purge)"
"$pair" start "$work" -- "${replica_opts[@]}" || fail "could not start the pair"
[[ $(q "$rep" 'SELECT @@relay_log_purge, @@slave_sql_verify_checksum, @@binlog_checksum') == "$([[ $purge == ON ]] && echo 1 || echo 0)"$'\t1\tCRC32' ]] ||
  fail "replica not at the production settings: $(q "$rep" 'SELECT @@relay_log_purge, @@slave_sql_verify_checksum, @@binlog_checksum')"
"$pair" workload "$work" || fail "workload failed on the source"
"$pair" wait-caught-up "$work" 120 || fail "replica did not catch up"

if [[ $kind == gtid ]]; then
step "intact relay-log sets of real servers"
[[ $(relay_names "$rep" | head -1) != relay-bin.000001 ]] || fail "relay_log_purge left the first relay log"
triage_expect_clean "purged head"
q "$rep" 'FLUSH RELAY LOGS' || fail "FLUSH RELAY LOGS"
q "$src" 'INSERT INTO app.accounts (id, owner, balance) VALUES (100, "flush", 1)' || fail "insert"
"$pair" wait-caught-up "$work" 60 || fail "replica did not catch up after FLUSH RELAY LOGS"
triage_expect_clean "FLUSH RELAY LOGS"
q "$rep" 'STOP SLAVE; START SLAVE' || fail "STOP/START SLAVE"
q "$src" 'INSERT INTO app.accounts (id, owner, balance) VALUES (101, "restart", 1)' || fail "insert"
"$pair" wait-caught-up "$work" 60 || fail "replica did not catch up after START SLAVE"
triage_expect_clean "STOP SLAVE; START SLAVE"
"$sandbox" stop "$rep" || fail "stop the replica"
"$pair" start "$work" >/dev/null || fail "restart the replica"
"$pair" wait-caught-up "$work" 60 || fail "replica did not catch up after a restart"
triage_expect_clean "server restart"
"$sandbox" stop "$rep" || fail "stop the replica"
"$pair" start "$work" -- "${replica_opts[@]}" --relay-log-recovery=ON >/dev/null || fail "restart with relay_log_recovery"
q "$src" 'INSERT INTO app.accounts (id, owner, balance) VALUES (102, "recovery", 1)' || fail "insert"
"$pair" wait-caught-up "$work" 60 || fail "replica did not catch up after relay_log_recovery"
triage_expect_clean "relay_log_recovery=ON"
"$sandbox" stop "$rep" || fail "stop the replica"
"$pair" start "$work" -- "${replica_opts[@]}" >/dev/null || fail "restart the replica"
"$pair" wait-caught-up "$work" 60 || fail "replica did not catch up"
# CHANGE MASTER (which starts a new relay-log set) with heartbeats every 0.2 s, idle for
# a while so that heartbeats arrive between transactions.
q "$rep" 'STOP SLAVE; CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD = 0.2; START SLAVE' || fail "CHANGE MASTER"
q "$src" 'INSERT INTO app.accounts (id, owner, balance) VALUES (103, "heartbeat", 1)' || fail "insert"
"$pair" wait-caught-up "$work" 60 || fail "replica did not catch up after CHANGE MASTER"
sleep 1.5
q "$src" 'INSERT INTO app.accounts (id, owner, balance) VALUES (104, "heartbeat", 2)' || fail "insert"
"$pair" wait-caught-up "$work" 60 || fail "replica did not catch up"
(($(q "$rep" "SHOW STATUS LIKE 'Slave_received_heartbeats'" | cut -f2) > 0)) || fail "no heartbeat received"
triage_expect_clean "CHANGE MASTER, heartbeats"
fi

step "the SQL thread stops; thousands of transactions are fetched, not executed"
# A few transactions first that the SQL thread applies, so that its relay log holds
# applied ones before its position (the applied-damage case flips a byte there).
sql "$src" <<'SQL' || fail "applied part of the tail failed"
SET SESSION binlog_format = 'ROW';
CREATE TABLE app.applied (id INT NOT NULL PRIMARY KEY, v VARCHAR(200) NOT NULL) ENGINE=InnoDB;
INSERT INTO app.applied VALUES (1, REPEAT('a', 200)), (2, REPEAT('b', 200)), (3, REPEAT('c', 200));
INSERT INTO app.applied VALUES (4, REPEAT('d', 200)), (5, REPEAT('e', 200)), (6, REPEAT('f', 200));
SQL
"$pair" wait-caught-up "$work" 60 || fail "replica did not catch up"
q "$rep" 'STOP SLAVE SQL_THREAD' || fail "STOP SLAVE SQL_THREAD"
sql "$src" <<'SQL' || fail "tail workload failed on the source"
SET SESSION binlog_format = 'ROW';
SET SESSION max_recursive_iterations = 100000;
CREATE TABLE app.tail (id INT NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;
DELIMITER //
CREATE PROCEDURE app.many(n INT)
BEGIN
  DECLARE i INT DEFAULT 1;
  WHILE i <= n DO
    INSERT INTO app.tail VALUES (i, i * 7 % 1000);
    IF i % 500 = 0 THEN INSERT INTO audit.log (what, at) VALUES (CONCAT('mark ', i), '2024-01-01'); END IF;
    SET i = i + 1;
  END WHILE;
END//
DELIMITER ;
CALL app.many(2500);
BEGIN;
INSERT INTO app.tail (id, v)
  WITH RECURSIVE n(i) AS (SELECT 10001 UNION ALL SELECT i + 1 FROM n WHERE i < 13000)
  SELECT i, i % 100 FROM n;
COMMIT;
SET SESSION binlog_format = 'STATEMENT';
CREATE TEMPORARY TABLE app.scratch (id INT NOT NULL PRIMARY KEY, v INT NOT NULL);
INSERT INTO app.scratch SELECT id, v + 1 FROM app.tail WHERE id <= 300;
UPDATE app.tail JOIN app.scratch USING (id) SET app.tail.v = app.scratch.v;
INSERT INTO audit.log (what, at) VALUES ('statement tail', '2024-01-02');
DROP TEMPORARY TABLE app.scratch;
SET SESSION binlog_format = 'ROW';
UPDATE app.accounts SET balance = balance + 1 WHERE id = 1;
SQL
"$pair" wait-received "$work" 180 || fail "IO thread did not fetch the tail"
q "$rep" 'STOP SLAVE' || fail "STOP SLAVE"
base_gtid=$(q "$rep" 'SELECT @@gtid_slave_pos')
base_relay_file=$(slave_status_field "$rep" Relay_Log_File)
base_relay_pos=$(slave_status_field "$rep" Relay_Log_Pos)
source_gtid=$(q "$src" 'SELECT @@gtid_binlog_pos')
behind=$(( ${source_gtid##*-} - ${base_gtid##*-} ))
echo "replica executed $base_gtid ($base_relay_file:$base_relay_pos), source at $source_gtid: $behind behind"
((behind >= 2000)) || fail "the SQL thread is only $behind transactions behind"
if [[ $kind == position ]]; then
  # Keeps the relay logs: the SQL thread starts where it stopped.
  q "$rep" "CHANGE MASTER TO MASTER_USE_GTID = no, RELAY_LOG_FILE = '$base_relay_file', RELAY_LOG_POS = $base_relay_pos" ||
    fail "CHANGE MASTER TO MASTER_USE_GTID = no"
  [[ $(slave_status_field "$rep" Using_Gtid) == No ]] || fail "the replica still uses GTIDs"
fi
"$sandbox" stop "$rep" || fail "stop the replica"
base=$work/base
cp -a -- "$rep" "$base"
"$pair" checksums "$src" >"$work/source.checksums" || fail "checksums on the source"
[[ $(wc -l <"$work/source.checksums") -ge 5 ]] || fail "too few tables on the source: $(cat "$work/source.checksums")"

# ---------------------------------------------------------------------------------------
# A case: copy the base, damage it (a function of the copy's directory), triage, carry out.

# copy_base DIR: the base replica, with the paths in its index and info files rewritten.
copy_base() {
  local d=$1 f
  cp -a -- "$base" "$d"
  for f in "$d"/relay/relay-bin.index "$d"/data/relay-log.info "$d"/binlog/*.index; do
    [[ -f $f ]] && sed -i "s|$base/|$d/|g; s|$rep/|$d/|g" -- "$f"
  done
  rm -f -- "$d/env" "$d/mysqld.pid" "$d/mysqld.sock" "$d/mysqld.sock.lock"
}

start_copy() {
  "$sandbox" start "$1" --server-id 2 -- --max-binlog-size=32768 "${replica_opts[@]}" \
    --relay-log="$1/relay/relay-bin" --relay-log-index="$1/relay/relay-bin.index" \
    --log-slave-updates --skip-slave-start >/dev/null
}

wait_caught_up() {  # DIR
  local deadline=$((SECONDS + 180)) have want errno
  want=$(q "$src" 'SELECT @@gtid_binlog_pos')
  while :; do
    have=$(q "$1" 'SELECT @@gtid_slave_pos')
    [[ $have == "$want" ]] && return 0
    errno=$(slave_status_field "$1" Last_SQL_Errno)
    [[ -z $errno || $errno == 0 ]] || fail "SQL thread stopped with $errno: $(slave_status_field "$1" Last_SQL_Error)"
    errno=$(slave_status_field "$1" Last_IO_Errno)
    [[ -z $errno || $errno == 0 ]] || fail "IO thread stopped with $errno: $(slave_status_field "$1" Last_IO_Error)"
    ((SECONDS < deadline)) || fail "not caught up in 180 s: replica $have, source $want"
    sleep 0.3
  done
}

run_list() {  # DIR JSON KEY: runs the statements of a JSON list on the replica
  local script
  script=$(jq -r --arg k "$3" '.[$k][]? | . + ";"' "$2")
  [[ -n $script ]] || return 1
  echo "$script" | sed 's/^/    /'
  sql "$1" <<<"$script" || fail "the plan's $3 failed on the replica"
}

damage_flip_middle() {  # a relay log after the SQL thread's one, not the last: unexecuted
  local d=$1 f size at
  f=$d/relay/$(middle_unexecuted "$d")
  size=$(stat -c %s -- "$f")
  at=$((size / 2))
  flip "$f" "$at"
  damaged_file=$(basename -- "$f")
  echo "flipped the byte at $damaged_file:$at"
}
# damage_torn_tail DIR [any]: the last relay log cut inside its last replicated event. With
# `any` (after a SIGKILL, which may land just after a rotation, when the last relay log holds
# only its headers, or only its format description) its last complete event is cut when no
# replicated event is there.
damage_torn_tail() {
  local d=$1 names f last="" header="" off len type sid size
  mapfile -t names < <(relay_names "$d")
  f=$d/relay/${names[-1]}
  size=$(stat -c %s -- "$f")
  while read -r off len type sid; do
    ((off + len > size)) && continue  # already cut
    header="$off $len"  # the last complete event: the format description only if it is alone
    ((sid == 2)) && continue  # the replica's own
    case $type in 3 | 4 | 15 | 161 | 163) continue ;; esac
    last="$off $len"
  done < <(events "$f")
  [[ -z $last && ${2:-} == any ]] && last=$header
  [[ -n $last ]] || fail "no replicated event in ${names[-1]}"
  read -r off len <<<"$last"
  truncate -s $((off + len / 2)) -- "$f"
  damaged_file=${names[-1]}
  echo "cut ${names[-1]} at $((off + len / 2)), inside the event at $off ($len bytes)"
}
damage_zero_page() {  # a 4 KiB page in the middle of a middle relay log zeroed
  local d=$1 f size page
  f=$d/relay/$(middle_unexecuted "$d")
  size=$(stat -c %s -- "$f")
  page=$(( (size / 2) / 4096 * 4096 ))
  dd if=/dev/zero of="$f" bs=4096 seek=$((page / 4096)) count=1 conv=notrunc status=none
  damaged_file=$(basename -- "$f")
  echo "zeroed [$page, $((page + 4096))) of $damaged_file ($size bytes)"
}
damage_missing_middle() {  # a middle relay log deleted (the index still names it)
  local d=$1
  damaged_file=$(middle_unexecuted "$d")
  rm -f -- "$d/relay/$damaged_file"
  echo "deleted $damaged_file"
}
damage_applied() {  # a byte of a row event the SQL thread already applied
  local d=$1 f off len type sid target=""
  f=$d/relay/$base_relay_file
  while read -r off len type sid; do
    ((off + len <= base_relay_pos)) || break
    case $type in 23 | 30) target="$off $len" ;; esac  # Write_rows v1 / v2
  done < <(events "$f")
  [[ -n $target ]] || fail "no applied Write_rows before $base_relay_file:$base_relay_pos"
  read -r off len <<<"$target"
  flip "$f" $((off + len - 10))
  damaged_file=$base_relay_file
  echo "flipped a byte of the applied Write_rows at $base_relay_file:$off"
}

# kill9 DIR: the copy's IO thread fetches the tail again (RESET SLAVE: with
# MASTER_USE_GTID=slave_pos it fetches from @@gtid_slave_pos) while the SQL thread stays
# stopped, and its mysqld is killed with SIGKILL once a few relay logs are written; then
# its last relay log is cut inside an event (damage_torn_tail), as a crash in the middle
# of a write leaves it.
damage_kill9() {
  local d=$1 pid deadline=$((SECONDS + 60))
  start_copy "$d" || fail "could not start the copy"
  pid=$(tr -dc '0-9' <"$d/mysqld.pid")
  [[ -n $pid ]] || fail "the copy wrote no pid file"
  q "$d" 'RESET SLAVE; START SLAVE IO_THREAD' || fail "START SLAVE IO_THREAD"
  # Killed once the fourth relay log or a later one holds replicated events (past its
  # headers: more than 16 KiB), so that the kill lands in the middle of the fetch.
  local names
  # (Or once the IO thread has fetched everything, when the fetch outran the polling.)
  until mapfile -t names < <(relay_names "$d"); ((${#names[@]} >= 4)) &&
    { (($(stat -c %s -- "$d/relay/${names[-1]}" 2>/dev/null || echo 0) > 16384)) ||
      [[ $(slave_status_field "$d" Gtid_IO_Pos) == "$source_gtid" ]]; }; do
    ((SECONDS < deadline)) || fail "the copy's IO thread wrote no relay logs in 60 s"
    sleep 0.05
  done
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  echo "killed the copy's mysqld ($pid) with SIGKILL after $(relay_names "$d" | wc -l) relay logs"
  rm -f -- "$d/env" "$d/mysqld.pid" "$d/mysqld.sock" "$d/mysqld.sock.lock"
  damage_torn_tail "$d" any
}

damage_applied_last() {  # caught up: a byte of the last row event of the last relay log
  local d=$1 names f off len type sid target=""
  mapfile -t names < <(relay_names "$d")
  f=$d/relay/${names[-1]}
  while read -r off len type sid; do
    case $type in 23 | 24 | 25 | 30 | 31 | 32) target="$off $len" ;; esac
  done < <(events "$f")
  [[ -n $target ]] || fail "no row event in ${names[-1]}"
  read -r off len <<<"$target"
  flip "$f" $((off + len - 10))
  damaged_file=${names[-1]}
  echo "flipped a byte of the applied row event at ${names[-1]}:$off"
}

# prep_caught_up DIR: the copy replicates until it has executed everything. (START SLAVE
# SQL_THREAD alone would not do: with MASTER_USE_GTID=slave_pos, starting with both threads
# stopped discards the relay logs, and only the IO thread fetches them again.)
prep_caught_up() {
  start_copy "$1" || fail "could not start the copy"
  q "$1" 'START SLAVE' || fail "START SLAVE"
  local deadline=$((SECONDS + 180))
  local errno
  until [[ $(q "$1" 'SELECT @@gtid_slave_pos') == "$source_gtid" ]]; do
    errno=$(slave_status_field "$1" Last_SQL_Errno)
    [[ -z $errno || $errno == 0 ]] || fail "the copy's SQL thread stopped with $errno: $(slave_status_field "$1" Last_SQL_Error)"
    ((SECONDS < deadline)) || fail "the copy's SQL thread did not execute its relay logs: at $(q "$1" 'SELECT @@gtid_slave_pos'), $(slave_status_field "$1" Slave_SQL_Running_State)"
    sleep 0.3
  done
  q "$1" 'STOP SLAVE' || fail "STOP SLAVE"
  case_gtid=$source_gtid
  "$sandbox" stop "$1" >/dev/null || fail "stop the copy"
}

# run_case NAME DAMAGE GIVEN [PREP]: GIVEN is nothing | info | gtids | replica; PREP runs
# on the copy before the damage (prep_caught_up).
run_case() {
  local name=$1 damage=$2 given=$3 prep=${4:-} d=$work/case-$1 rc=0 args=() mode
  if [[ -n ${DRILL_CASES:-} && " $DRILL_CASES " != *" $name "* ]]; then return 0; fi
  step "case $name: $damage, given $given${prep:+, $prep}"
  copy_base "$d"
  damaged_file=""
  case_gtid=$base_gtid
  [[ -z $prep ]] || "$prep" "$d"
  "damage_$damage" "$d"
  case $given in
    nothing) ;;
    info) args=(--relay-log-info "$d/data/relay-log.info" --master-info "$d/data/master.info") ;;
    gtids) args=(--executed-gtids "$case_gtid") ;;
    replica)
      start_copy "$d" || fail "could not start the copy"
      args=(--replica --socket "$d/mysqld.sock" --user root)
      ;;
    discover)  # --replica and no files: triage reads the replica's own relay logs
      start_copy "$d" || fail "could not start the copy"
      args=(--replica --socket "$d/mysqld.sock" --user root)
      ;;
    *) fail "unknown GIVEN $given" ;;
  esac
  local files=("$d/relay/relay-bin.index")
  if [[ $given == discover ]]; then
    files=()
    # The index not readable where triage runs: a clear error with the path, exit 2.
    mv -- "$d/relay/relay-bin.index" "$d/relay/index.aside"
    rc=0
    "$bin" triage --json "${args[@]}" >"$d/triage.json" 2>"$d/triage.err" || rc=$?
    mv -- "$d/relay/index.aside" "$d/relay/relay-bin.index"
    ((rc == 2)) || fail "--replica with its index gone: exit $rc, expected 2"
    [[ ! -s $d/triage.json ]] || fail "--replica with its index gone printed a report"
    grep -qxF "binlogkit: --replica: the replica's relay-log index $d/relay/relay-bin.index (from @@relay_log_index) cannot be read here: No such file or directory; run triage where the relay logs are, or give them as arguments" "$d/triage.err" ||
      { cat "$d/triage.err" >&2; fail "--replica with its index gone: not the expected message"; }
    rc=0
  fi
  timeout 300 "$bin" triage --json "${args[@]}" "${files[@]}" >"$d/triage.json" 2>"$d/triage.err" || rc=$?
  [[ -s $d/triage.json ]] || { cat "$d/triage.err" >&2; fail "triage printed nothing (exit $rc)"; }
  jq -r '.notes[]' "$d/triage.json" | sed 's/^/  note: /'
  ((rc == 1)) || fail "triage exit $rc, expected 1 (damaged, a plan)"
  jq -r '.damage[].file' "$d/triage.json" | sed 's|^.*/||' | grep -qxF -- "$damaged_file" ||
    fail "the damage list does not name $damaged_file"
  if [[ $given == discover ]]; then
    grep -qxF "binlogkit: --replica: triaging the replica's relay logs listed in $d/relay/relay-bin.index ($(relay_names "$d" | wc -l) file(s))" "$d/triage.err" ||
      { cat "$d/triage.err" >&2; fail "triage did not say which relay logs it found"; }
    [[ $(jq -r '.files[0]' "$d/triage.json") == "$d/relay/$(relay_names "$d" | head -1)" ]] ||
      fail "triage read $(jq -r '.files[0]' "$d/triage.json"), not the replica's first relay log"
  fi
  jq -e '.checksums == true' "$d/triage.json" >/dev/null || fail "triage did not see the CRC32 checksums"
  mode=$(jq -r '.resume.mode' "$d/triage.json")
  case $given in
    nothing)
      [[ $mode == server_state ]] || fail "nothing given: resume mode $mode, expected server_state"
      [[ $(jq -r '.notes[0]' "$d/triage.json") == "the replica's executed position is unknown"* ]] ||
        fail "nothing given: the first note does not say the executed position is unknown"
      [[ $(jq -c '.executed' "$d/triage.json") == null ]] || fail "nothing given, yet an executed point"
      if jq -r '.resume_sql[]' "$d/triage.json" | grep -qE 'gtid_slave_pos *=|MASTER_LOG_POS'; then
        fail "nothing given, yet the plan names a position of its own"
      fi
      ;;
    *)
      [[ $(jq -r '.executed.gtid_state' "$d/triage.json") == "$case_gtid" ]] ||
        fail "executed GTID state $(jq -r '.executed.gtid_state' "$d/triage.json"), the replica had $case_gtid"
      [[ $(jq -r '.resume.gtid_state' "$d/triage.json") == "$case_gtid" ]] ||
        fail "resume GTID state $(jq -r '.resume.gtid_state' "$d/triage.json"), the replica executed $case_gtid"
      ;;
  esac
  if [[ $damage == applied* && $given != nothing ]]; then
    jq -e '[.damaged_transactions[] | select(.applied == true and .gtid != null)] | length >= 1' "$d/triage.json" \
      >/dev/null || fail "the applied damaged transaction is not named"
    echo "named: $(jq -c '[.damaged_transactions[] | select(.applied) | {gtid, tables}]' "$d/triage.json")"
    # Its rows, read from the relay log; the damaged event's marked.
    local rows
    rows=$(jq -r '[.damaged_transactions[] | select(.applied) | .rows.shown[] | select(.from_damaged_event) | .text] | join("\n")' "$d/triage.json")
    [[ -n $rows ]] || fail "the applied damaged transaction's rows are not listed"
    echo "$rows" | sed 's/^/  /'
    if [[ $damage == applied ]]; then  # the Write_rows of app.applied ids 4..6
      for id in 4 5 6; do
        grep -qxF "###   @1=$id" <<<"$rows" || fail "row id $id of the damaged Write_rows is not listed"
      done
      grep -qxF '### INSERT INTO `app`.`applied`' <<<"$rows" || fail "the rows do not name app.applied"
    fi
  fi
  [[ $given == replica || $given == discover ]] || start_copy "$d" || fail "could not start the copy"
  echo "plan:"
  run_list "$d" "$d/triage.json" resume_sql || fail "empty resume_sql"
  wait_caught_up "$d"
  if run_list "$d" "$d/triage.json" after_catch_up_sql; then wait_caught_up "$d"; fi
  if [[ $kind == gtid ]]; then
    [[ $(slave_status_field "$d" Using_Gtid) == Slave_Pos ]] || fail "the replica is left with Using_Gtid $(slave_status_field "$d" Using_Gtid)"
  else
    echo "the replica ends with Using_Gtid $(slave_status_field "$d" Using_Gtid)"
  fi
  "$pair" checksums "$d" >"$d/replica.checksums" || fail "checksums on the replica"
  diff -u "$work/source.checksums" "$d/replica.checksums" || fail "the replica's tables differ from the source's"
  [[ $(q "$d" 'SELECT @@gtid_slave_pos') == "$(q "$src" 'SELECT @@gtid_binlog_pos')" ]] || fail "GTID positions differ"
  echo "case $name: equal to the source ($(wc -l <"$d/replica.checksums") tables, GTID $(q "$d" 'SELECT @@gtid_slave_pos'))"
  "$sandbox" stop "$d" >/dev/null || fail "stop the copy"
  [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf -- "$d"
}

# prep_inside_temp DIR [running]: the copy executes up to the INSERT INTO the STATEMENT
# session's temporary table app.scratch (the tail's last transactions: CREATE TEMPORARY,
# INSERT INTO it, UPDATE ... JOIN it, INSERT, DROP TEMPORARY, UPDATE), holds the table in
# its SQL thread (case_open_temps: Slave_open_temp_tables read then), and is shut down: the
# restarted replica has lost it. With "running" it is left running, replication stopped.
prep_inside_temp() {
  local seq=${source_gtid##*-} until deadline=$((SECONDS + 180))
  until="0-1-$((seq - 4))"
  start_copy "$1" || fail "could not start the copy"
  # The IO thread first, up to the source's end (an UNTIL on both threads would stop it at
  # the UNTIL too); then the SQL thread alone, up to the INSERT INTO the temporary table.
  q "$1" 'START SLAVE IO_THREAD' || fail "START SLAVE IO_THREAD"
  until [[ $(slave_status_field "$1" Gtid_IO_Pos) == "$source_gtid" ]]; do
    ((SECONDS < deadline)) || fail "the copy's IO thread did not fetch up to $source_gtid"
    sleep 0.3
  done
  # UNTIL master_gtid_pos needs both threads stopped: the SQL thread alone runs UNTIL the
  # source position where the next transaction's GTID event begins.
  local at
  at=$("$bin" dump --json "$src"/binlog/binlog.[0-9]* 2>/dev/null |
    jq -r --arg g "0-1-$((seq - 3))" 'select(.gtid == $g) | "\(.file | sub(".*/"; ""))\t\(.pos)"')
  [[ -n $at ]] || fail "no GTID event 0-1-$((seq - 3)) in the source's binlogs"
  q "$1" "START SLAVE SQL_THREAD UNTIL MASTER_LOG_FILE = '${at%%$'\t'*}', MASTER_LOG_POS = ${at##*$'\t'}" ||
    fail "START SLAVE SQL_THREAD UNTIL"
  until [[ $(q "$1" 'SELECT @@gtid_slave_pos') == "$until" && $(slave_status_field "$1" Slave_SQL_Running) == No ]]; do
    ((SECONDS < deadline)) || fail "the copy did not stop at $until: at $(q "$1" 'SELECT @@gtid_slave_pos')"
    sleep 0.3
  done
  case_open_temps=$(q "$1" "SHOW GLOBAL STATUS LIKE 'Slave_open_temp_tables'" | cut -f2)
  [[ $case_open_temps == 1 ]] || fail "the copy's SQL thread holds $case_open_temps temporary tables at $until, expected 1"
  q "$1" 'STOP SLAVE' || fail "STOP SLAVE"
  case_gtid=$until
  [[ ${2:-} == running ]] || "$sandbox" stop "$1" >/dev/null || fail "stop the copy"
}

# check_temp_hazards DIR: triage's --json names as many temporary tables at the resume
# point (hazards of kind temporary_table) as the replica's SQL thread held before it
# stopped (case_open_temps), app.scratch among them.
check_temp_hazards() {
  local n
  n=$(jq '[.hazards[] | select(.kind == "temporary_table")] | length' "$1/triage.json")
  [[ $n == "$case_open_temps" ]] ||
    fail "triage names $n temporary table(s) at the resume point, the replica held $case_open_temps (Slave_open_temp_tables)"
  jq -e '[.hazards[] | select(.kind == "temporary_table" and .schema == "app" and .table == "scratch" and .needed_by != null)] | length == 1' \
    "$1/triage.json" >/dev/null || fail "the temporary_table hazard does not name app.scratch with the statement that needs it"
  echo "triage names $n temporary table(s) at the resume point, as Slave_open_temp_tables said: $(jq -c '[.hazards[] | "\(.schema).\(.table)"]' "$1/triage.json")"
}

# temp_running_case NAME: as temp_case, but the replica is not restarted: its SQL thread
# still holds app.scratch. Triage --replica must tell the DBA not to restart it; the plan,
# carried out, brings the replica equal to the source (the table is still there).
temp_running_case() {
  local name=$1 d=$work/case-$1 rc=0
  if [[ -n ${DRILL_CASES:-} && " $DRILL_CASES " != *" $name "* ]]; then return 0; fi
  step "case $name: inside a temporary table's life, replica not restarted, given --replica"
  copy_base "$d"
  prep_inside_temp "$d" running
  damage_torn_tail "$d"
  timeout 300 "$bin" triage --json --replica --socket "$d/mysqld.sock" --user root "$d/relay/relay-bin.index" \
    >"$d/triage.json" 2>"$d/triage.err" || rc=$?
  [[ -s $d/triage.json ]] || { cat "$d/triage.err" >&2; fail "triage printed nothing (exit $rc)"; }
  jq -r '.notes[], .before_resume[]' "$d/triage.json" | sed 's/^/  note: /'
  ((rc == 1)) || fail "triage exit $rc, expected 1"
  [[ $(jq -r '.resume.gtid_state' "$d/triage.json") == "$case_gtid" ]] ||
    fail "resume GTID state $(jq -r '.resume.gtid_state' "$d/triage.json"), the replica executed $case_gtid"
  check_temp_hazards "$d"
  [[ $(jq -r '.before_resume[0]' "$d/triage.json") == "do not restart the replica: its SQL thread still holds $case_open_temps temporary table(s)"* ]] ||
    fail "triage does not say that the replica must not be restarted: $(jq -r '.before_resume[0]' "$d/triage.json")"
  [[ $(q "$d" "SHOW GLOBAL STATUS LIKE 'Slave_open_temp_tables'" | cut -f2) == "$case_open_temps" ]] ||
    fail "the replica lost its temporary table before the plan ran"
  echo "plan:"
  run_list "$d" "$d/triage.json" resume_sql || fail "empty resume_sql"
  wait_caught_up "$d"
  if run_list "$d" "$d/triage.json" after_catch_up_sql; then wait_caught_up "$d"; fi
  [[ $(slave_status_field "$d" Last_SQL_Errno) == 0 ]] || fail "the SQL thread stopped: $(slave_status_field "$d" Last_SQL_Error)"
  "$pair" checksums "$d" >"$d/replica.checksums" || fail "checksums on the replica"
  [[ -s $d/replica.checksums ]] || fail "no checksums from the replica"
  diff -u "$work/source.checksums" "$d/replica.checksums" || fail "the replica's tables differ from the source's"
  [[ $(q "$d" 'SELECT @@gtid_slave_pos') == "$(q "$src" 'SELECT @@gtid_binlog_pos')" ]] || fail "GTID positions differ"
  echo "case $name: the plan kept the temporary table; equal to the source ($(wc -l <"$d/replica.checksums") tables)"
  "$sandbox" stop "$d" >/dev/null || fail "stop the copy"
  [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf -- "$d"
}

# temp_case NAME GIVEN: the SQL thread stopped inside the temporary table's life, the
# replica restarted, the last relay log torn. Triage must say the table is lost; its plan
# must not skip: carried out, the SQL thread stops at the statement that uses the table
# (1146, as the note says) with the replica's position where it was.
temp_case() {
  local name=$1 given=$2 d=$work/case-$1 rc=0 args=()
  if [[ -n ${DRILL_CASES:-} && " $DRILL_CASES " != *" $name "* ]]; then return 0; fi
  step "case $name: inside a temporary table's life, given $given"
  copy_base "$d"
  prep_inside_temp "$d"
  damage_torn_tail "$d"
  case $given in
    gtids) args=(--executed-gtids "$case_gtid") ;;
    replica) start_copy "$d" || fail "could not start the copy"; args=(--replica --socket "$d/mysqld.sock" --user root) ;;
  esac
  timeout 300 "$bin" triage --json "${args[@]}" "$d/relay/relay-bin.index" >"$d/triage.json" 2>"$d/triage.err" || rc=$?
  [[ -s $d/triage.json ]] || { cat "$d/triage.err" >&2; fail "triage printed nothing (exit $rc)"; }
  jq -r '.notes[]' "$d/triage.json" | sed 's/^/  note: /'
  ((rc == 1)) || fail "triage exit $rc, expected 1"
  [[ $(jq -r '.resume.gtid_state' "$d/triage.json") == "$case_gtid" ]] ||
    fail "resume GTID state $(jq -r '.resume.gtid_state' "$d/triage.json"), the replica executed $case_gtid"
  jq -r '.notes[]' "$d/triage.json" | grep -q '^the replica stopped inside the life of temporary table(s) `app`.`scratch` (session ' ||
    fail "triage does not say that the replica stopped inside app.scratch's life"
  check_temp_hazards "$d"
  [[ $(jq -r '.before_resume[0]' "$d/triage.json") == "if the replica restarted since it stopped, its temporary table(s) \`app\`.\`scratch\` "* ]] ||
    fail "the plan does not say what the restarted replica lost: $(jq -r '.before_resume[0]' "$d/triage.json")"
  [[ $given == replica ]] || start_copy "$d" || fail "could not start the copy"
  echo "plan:"
  run_list "$d" "$d/triage.json" resume_sql || fail "empty resume_sql"
  local deadline=$((SECONDS + 120)) errno=""
  until [[ -n $errno && $errno != 0 ]]; do
    errno=$(slave_status_field "$d" Last_SQL_Errno)
    ((SECONDS < deadline)) || fail "the SQL thread did not stop at the lost temporary table (at $(q "$d" 'SELECT @@gtid_slave_pos'))"
    sleep 0.3
  done
  [[ $errno == 1146 ]] || fail "the SQL thread stopped with $errno: $(slave_status_field "$d" Last_SQL_Error)"
  slave_status_field "$d" Last_SQL_Error | grep -qF "app.scratch" || fail "1146 not about app.scratch: $(slave_status_field "$d" Last_SQL_Error)"
  [[ $(q "$d" 'SELECT @@gtid_slave_pos') == "$case_gtid" ]] || fail "the replica moved to $(q "$d" 'SELECT @@gtid_slave_pos')"
  echo "case $name: stopped with 1146 on app.scratch at $case_gtid, as triage said; nothing skipped"
  "$sandbox" stop "$d" >/dev/null || fail "stop the copy"
  [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf -- "$d"
}

if [[ $kind == gtid-nopurge ]]; then
  [[ $(relay_names "$base" | head -1) == relay-bin.000001 ]] || fail "relay_log_purge=OFF lost the first relay log"
  run_case flip-info flip_middle info
  run_case torn-replica torn_tail replica
  run_case missing-nothing missing_middle nothing
  echo "triage_drill($kind): OK"
  exit 0
fi
if [[ $kind == position ]]; then
  run_case zero-info zero_page info
  run_case missing-info missing_middle info
  run_case flip-replica flip_middle replica
  run_case torn-gtids torn_tail gtids
  echo "triage_drill($kind): OK"
  exit 0
fi
run_case flip-nothing flip_middle nothing
run_case flip-info flip_middle info
run_case torn-nothing torn_tail nothing
run_case torn-gtids torn_tail gtids
run_case zero-nothing zero_page nothing
run_case missing-nothing missing_middle nothing
run_case applied-gtids applied gtids
run_case applied-nothing applied nothing
run_case flip-replica flip_middle replica
run_case flip-discover flip_middle discover
run_case torn-replica torn_tail replica
run_case zero-info zero_page info
run_case caught-up-replica applied_last replica prep_caught_up
run_case caught-up-nothing applied_last nothing prep_caught_up
temp_case temp-gtids gtids
temp_running_case temp-running-replica
run_case kill9-nothing kill9 nothing

echo "triage_drill($kind): OK"
