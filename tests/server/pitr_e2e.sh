#!/usr/bin/env bash
# Point-in-time recovery with `binlogkit replay` and `binlogkit sql`, on real MariaDB
# servers on 127.0.0.1 (scripts/mariadb-sandbox).
#
# Usage: tests/server/pitr_e2e.sh [BINLOGKIT [PARALLEL [MODE]]]
#   BINLOGKIT: the binlogkit binary (default: $BINLOGKIT, else build/binlogkit)
#   PARALLEL:  every replay runs with --parallel PARALLEL (default 1: the serial applier)
#   MODE:      its --parallel-mode (default conservative)
#
#  1. Server A (binlogs on, ROW by default) runs part 1 of a workload: several databases,
#     one of them and its table named with backquotes, quotes and semicolons; row and
#     statement events; DDL; a MyISAM table; values with every byte.
#  2. mariadb-dump --single-transaction --master-data=2 of those databases.
#  3. Part 2: more of the same, statement-based LOAD DATA, INTVAR / RAND / user variables
#     (a hostile name, a hostile value), a transaction ending in ROLLBACK on a MyISAM
#     table, and a temporary table created before FLUSH BINARY LOGS and used after it.
#  4. CHECKSUM TABLE of every table: the state to recover. Then the accident: DROP TABLE.
#  5. Three times, on a fresh server B loaded with the dump: `binlogkit replay` from the
#     dump's CHANGE MASTER position up to the accident, once by --stop-datetime, once by
#     --stop-position, once by --exclude-gtids (the DROP's GTID); every table's checksum
#     must equal the captured state, and the progress row must count the transactions.
#  6. Once more with `binlogkit sql … | mariadb --binary-mode`: the same state.
#  7. Refusals: replaying A's binlog into A (same server_id); a second replay with an id
#     whose lock is held; a second run of a finished replay id without --resume.
# Exit 0 on success. The servers are always stopped and the directory removed
# (KEEP_WORK=1 keeps it).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}
parallel=${2:-1}
par_args=()
((parallel > 1)) && par_args=(--parallel "$parallel" --parallel-mode "${3:-conservative}")

test_name=pitr_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "binlogkit binary not found or not executable: $bin"
need_tools mariadbd mariadb-install-db mariadb mariadb-admin mariadb-dump

export TZ=UTC
make_work bk-pitr
a=$work/a
cleanup_hook() { if [[ -n ${lock_pid:-} ]]; then kill "$lock_pid" 2>/dev/null || true; fi; }

# Our own copy: the build directory may be rebuilt while we run.
cp -- "$bin" "$work/binlogkit"
bin=$work/binlogkit

sql() { "$sandbox" sql "$1" --batch; }
q() { "$sandbox" sql "$1" --batch --skip-column-names -e "$2"; }
# Every base table's checksum, except the replay's own bookkeeping.
checksums() { table_checksums "$1" "$2"; }  # SERVER FILE

hostile_db='we`ird;db'"'"'--'
hostile_table='t`ab;"x'"'"
hdb='`we``ird;db'"'"'--`'
htab='`t``ab;"x'"'"'`'

step "server A and workload part 1"
"$sandbox" start "$a" --server-id 1 -- --max-binlog-size=65536 >/dev/null
# shellcheck disable=SC1091
source "$a/env"
a_binlogs=$SANDBOX_BINLOG_DIR
sql "$a" <<SQL
CREATE DATABASE app CHARACTER SET utf8mb4;
CREATE DATABASE audit CHARACTER SET latin1;
CREATE DATABASE $hdb;
CREATE TABLE app.accounts (id INT PRIMARY KEY, owner VARCHAR(32) NOT NULL, balance DECIMAL(10,2) NOT NULL) ENGINE=InnoDB;
CREATE TABLE app.blobs (id INT PRIMARY KEY, b VARBINARY(300), t TEXT) ENGINE=InnoDB;
CREATE TABLE app.nopk (a INT, b VARCHAR(20)) ENGINE=InnoDB;
CREATE TABLE app.from_tmp (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
CREATE TABLE app.loaded (id INT PRIMARY KEY, name VARCHAR(64), note VARCHAR(64)) ENGINE=InnoDB;
CREATE TABLE audit.log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(64), r DOUBLE, at DATETIME(6)) ENGINE=MyISAM;
CREATE TABLE $hdb.$htab (id INT PRIMARY KEY, \`v;a'l\` VARCHAR(64), b BLOB) ENGINE=InnoDB;
INSERT INTO app.accounts VALUES (1, 'alice', 100), (2, 'bob', 50), (3, 'carol', 0);
INSERT INTO app.blobs VALUES (1, UNHEX(CONCAT('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
  '202122232425262728292A2B2C2D2E2F5C27225C5C0D0A1A7F8081FEFF')), 'row: it''s a \\\\ "test";');
INSERT INTO $hdb.$htab VALUES (1, 'x''); DROP TABLE app.accounts; --', X'00275C22');
BEGIN;
UPDATE app.accounts SET balance = balance - 10 WHERE id = 1;
UPDATE app.accounts SET balance = balance + 10 WHERE id = 2;
COMMIT;
SET SESSION binlog_format = 'STATEMENT';
INSERT INTO audit.log (what, r, at) VALUES ('part1', RAND(7), NOW(6));
UPDATE app.accounts SET owner = CONCAT(owner, '''s') WHERE id = 3;
SQL

step "dump"
mariadb-dump --no-defaults --socket="$SANDBOX_SOCKET" -uroot --single-transaction --master-data=2 \
  --databases app audit "$hostile_db" >"$work/dump.sql" || fail "mariadb-dump failed"
change_master=$(grep -m1 -- '-- CHANGE MASTER TO' "$work/dump.sql" || true)
[[ -n $change_master ]] || fail "no CHANGE MASTER comment in the dump"
dump_file=$(sed -n "s/.*MASTER_LOG_FILE='\([^']*\)'.*/\1/p" <<<"$change_master")
dump_pos=$(sed -n 's/.*MASTER_LOG_POS=\([0-9]*\).*/\1/p' <<<"$change_master")
[[ -n $dump_file && -n $dump_pos ]] || fail "cannot read the dump's position: $change_master"
echo "dump at $dump_file:$dump_pos"

step "workload part 2"
printf '1\tann\tquote '"'"' here\n2\tbo\\tb\ttab inside\n3\t\\N\tnull name\n4\tsemi;colon\tback\\\\slash\n' >"$work/load.txt"
sql "$a" <<SQL
USE app;
SET SESSION binlog_format = 'STATEMENT';
LOAD DATA INFILE '$work/load.txt' INTO TABLE app.loaded;
LOAD DATA INFILE '$work/load.txt' INTO TABLE $hdb.$htab (@i, \`v;a'l\`, @x) SET id = @i + 10, b = UNHEX(HEX(@x));
INSERT INTO audit.log (what, r, at) VALUES ('rand', RAND(), NOW(6));
SET @\`v\`\`ar;'\` := 'it''s \\\\ "q" \\0 ;--';
INSERT INTO app.blobs (id, b, t) VALUES (2, @\`v\`\`ar;'\`, CONCAT('u:', @\`v\`\`ar;'\`));
USE $hdb;
UPDATE $htab SET b = CONCAT(b, X'0A3B27') WHERE id = 1;
USE app;
INSERT INTO app.nopk VALUES (1, 'a'), (1, 'a'), (2, 'b');
UPDATE app.nopk SET b = CONCAT(b, '!') WHERE a = 1;
BEGIN;
INSERT INTO audit.log (what, r, at) VALUES ('rolled back', 1, NOW(6));
INSERT INTO app.accounts VALUES (99, 'ghost', 0);
ROLLBACK;
CREATE TEMPORARY TABLE tmp_src (id INT, v VARCHAR(20));
INSERT INTO tmp_src VALUES (1, 'from'), (2, 'temp');
FLUSH BINARY LOGS;
INSERT INTO app.from_tmp SELECT id, v FROM tmp_src;
DROP TEMPORARY TABLE tmp_src;
SET SESSION binlog_format = 'ROW';
ALTER TABLE app.accounts ADD COLUMN note VARCHAR(16) NULL;
UPDATE app.accounts SET note = 'vip' WHERE id = 1;
INSERT INTO app.accounts (id, owner, balance) SELECT seq, CONCAT('user', seq), seq FROM seq_100_to_400;
DELETE FROM app.accounts WHERE id % 7 = 0;
UPDATE $hdb.$htab SET \`v;a'l\` = CONCAT(\`v;a'l\`, ' \\\\ ''x'' ;') WHERE id <= 2;
CREATE TABLE app.later (id INT PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO app.later VALUES (1), (2), (3);
SQL
sleep 1.2

step "capture the state, then the accident"
checksums "$a" "$work/good.txt"
[[ $(wc -l <"$work/good.txt") -ge 8 ]] || fail "too few tables checksummed: $(cat "$work/good.txt")"
# The stop time: after every good event (second resolution), before the accident.
stop_time=$(date -u -d "@$(($(date +%s) + 1))" '+%Y-%m-%d %H:%M:%S')
sleep 2.2
read -r drop_file drop_pos _ < <(q "$a" 'SHOW MASTER STATUS')
drop_gtid=$(q "$a" "DROP TABLE app.accounts; SELECT @@last_gtid")
[[ -n $drop_gtid ]] || fail "no GTID for the DROP"
q "$a" 'FLUSH BINARY LOGS' >/dev/null
echo "accident: $drop_gtid at $drop_file:$drop_pos, stop time $stop_time"

# The binlog files from the dump's to the last one, and up to the accident's.
mapfile -t all_files < <(sed 's|^.*/||' "$a_binlogs/$SANDBOX_BINLOG_BASENAME.index")
files=() to_drop=() started=0
for f in "${all_files[@]}"; do
  [[ $f == "$dump_file" ]] && started=1
  ((started)) || continue
  files+=("$a_binlogs/$f")
  if ((${#to_drop[@]} == 0)) || [[ ${to_drop[-1]} != "$a_binlogs/$drop_file" ]]; then
    to_drop+=("$a_binlogs/$f")
  fi
done
((${#files[@]} >= 2)) || fail "expected the temporary table's FLUSH to give several files"

fresh_b() { # fresh_b NAME: a server B loaded with the dump
  local d=$work/b-$1
  "$sandbox" start "$d" --server-id 2 >/dev/null
  sql "$d" <"$work/dump.sql" || fail "loading the dump into $d"
  echo "$d"
}
check_state() { # check_state DIR WHAT
  checksums "$1" "$work/got.txt"
  if ! diff "$work/good.txt" "$work/got.txt" >"$work/diff.txt"; then
    cat "$work/diff.txt" >&2
    fail "$2: table checksums differ from the captured state"
  fi
}
replay_to() { # replay_to DIR ARGS...: TCP as bk with the password from MYSQL_PWD
  local d=$1
  shift
  local port
  # shellcheck disable=SC1091
  port=$(source "$d/env" && echo "$SANDBOX_PORT")
  MYSQL_PWD=bk "$bin" replay "${par_args[@]}" --no-defaults --host 127.0.0.1 --port "$port" --user bk --progress=none "$@"
}

for mode in datetime position gtid; do
  step "replay by $mode"
  b=$(fresh_b "$mode")
  case $mode in
    datetime) replay_to "$b" "${files[@]}" --start-position "$dump_pos" --stop-datetime "$stop_time" \
      --replay-id "pitr-$mode" 2>"$work/$mode.err" ;;
    position) replay_to "$b" "${to_drop[@]}" --start-position "$dump_pos" --stop-position "$drop_pos" \
      --replay-id "pitr-$mode" 2>"$work/$mode.err" ;;
    gtid) replay_to "$b" "${files[@]}" --start-position "$dump_pos" --exclude-gtids "$drop_gtid" \
      --replay-id "pitr-$mode" 2>"$work/$mode.err" ;;
  esac || { cat "$work/$mode.err" >&2; fail "binlogkit replay failed"; }
  check_state "$b" "replay by $mode"
  n=$(q "$b" "SELECT transactions FROM binlogkit.replay_progress WHERE replay_id = 'pitr-$mode'")
  [[ $n =~ ^[0-9]+$ && $n -ge 10 ]] || fail "progress row counts '$n' transactions"
  [[ $(q "$b" "SELECT COUNT(*) FROM app.accounts") -gt 200 ]] || fail "app.accounts is not back"
  echo "ok: $n transactions"
done

# How B's own binlog got the progress row: UPDATE statements leave their text in Annotate_rows
# events; the appliers send row events in each transaction's own BINLOG statement (the
# parallel one into the row of a connection slot, 'ID#K', folded into the replay's row by
# one UPDATE statement at the end).
progress_updates() { # progress_updates DIR: "<UPDATE statements> <rows events>"
  local dir base
  # shellcheck disable=SC1091
  read -r dir base < <(source "$1/env" && echo "$SANDBOX_BINLOG_DIR $SANDBOX_BINLOG_BASENAME")
  mapfile -t bfiles < <(sed "s|^.*/|$dir/|" "$dir/$base.index")
  mkdir -p "$work/mb-load"  # where mariadb-binlog writes LOAD DATA files (else TMPDIR)
  mariadb-binlog --no-defaults --skip-gtid-strict-mode --local-load="$work/mb-load" -v "${bfiles[@]}" \
    >"$work/b-binlog.txt"
  local stmts rows slots
  stmts=$(count_matches 'UPDATE `binlogkit`.`replay_progress` SET' "$work/b-binlog.txt")
  rows=$(count_matches '^### UPDATE `binlogkit`.`replay_progress`' "$work/b-binlog.txt")
  slots=$(count_matches "^###   @1='pitr-position#[0-9]*'" "$work/b-binlog.txt")
  echo "$stmts $rows $slots"
}
folds=0
((parallel > 1)) && folds=1
{
  step "the progress row as row events; UPDATE statements when the table is not ours"
  counts=$(progress_updates "$work/b-position")  # a failure there ends the test (set -e)
  read -r stmts rows slot_images <<<"$counts"
  echo "replay by position: $stmts UPDATE statements, $rows progress rows events, $slot_images row images of slots"
  ((stmts == folds)) || fail "the applier wrote the progress row with $stmts UPDATE statements"
  n=$(q "$work/b-position" "SELECT transactions FROM binlogkit.replay_progress WHERE replay_id = 'pitr-position'")
  ((rows >= n - 12 && rows <= n + folds)) || fail "$rows progress rows events for $n transactions"
  if ((parallel > 1)); then
    ((slot_images > 0)) || fail "the parallel applier wrote no row of a connection slot"
  else
    ((slot_images == 0)) || fail "the serial applier wrote rows of connection slots"
  fi
  [[ $(q "$work/b-position" "SELECT COUNT(*) FROM binlogkit.replay_progress WHERE replay_id LIKE 'pitr-position#%'") \
    == 0 ]] || fail "rows of connection slots are left after the replay"
  b=$(fresh_b other-table)
  q "$b" "CREATE DATABASE binlogkit; CREATE TABLE binlogkit.replay_progress (replay_id VARCHAR(64) NOT NULL
    PRIMARY KEY, file VARCHAR(512) NOT NULL, end_pos BIGINT UNSIGNED NOT NULL, gtid VARCHAR(128) NOT NULL
    DEFAULT '', transactions BIGINT UNSIGNED NOT NULL DEFAULT 0, updated_at TIMESTAMP(6) NOT NULL DEFAULT
    CURRENT_TIMESTAMP(6), note TEXT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
  replay_to "$b" "${to_drop[@]}" --start-position "$dump_pos" --stop-position "$drop_pos" \
    --replay-id pitr-other 2>"$work/other.err" || { cat "$work/other.err" >&2; fail "binlogkit replay failed"; }
  grep -q "replay_progress is not the table this version creates" "$work/other.err" ||
    fail "no note that the progress table is not ours"
  check_state "$b" "replay into another progress table"
  counts=$(progress_updates "$b")
  read -r stmts rows _ <<<"$counts"
  m=$(q "$b" "SELECT transactions FROM binlogkit.replay_progress WHERE replay_id = 'pitr-other'")
  echo "another progress table: $stmts UPDATE statements, $rows progress rows events, $m transactions"
  ((m == n)) || fail "the progress row counts $m transactions, the replay by position $n"
  ((stmts == rows && stmts >= n - 12)) || fail "$stmts UPDATE statements, $rows rows events for $n transactions"
}

step "binlogkit sql | mariadb"
b=$(fresh_b sql)
mkdir -p "$work/load"
"$bin" sql "${to_drop[@]}" --start-position "$dump_pos" --stop-position "$drop_pos" --local-load "$work/load" \
  >"$work/pitr.sql" 2>"$work/sql.err" || { cat "$work/sql.err" >&2; fail "binlogkit sql failed"; }
"$sandbox" sql "$b" --binary-mode --local-infile=1 <"$work/pitr.sql" || fail "mariadb refused binlogkit's SQL"
check_state "$b" "binlogkit sql | mariadb"
# The hostile names reached the output only quoted.
grep -qF "use $hdb" "$work/pitr.sql" || fail "the hostile database name is not quoted in the output"
if grep -n 'DROP TABLE app.accounts' "$work/pitr.sql" | grep -v "VALUES (1, 'x'')" >/dev/null; then
  fail "the DROP made it into the output"
fi

step "refusals"
# shellcheck disable=SC1091
a_port=$(source "$a/env" && echo "$SANDBOX_PORT")
if MYSQL_PWD=bk "$bin" replay "${par_args[@]}" --no-defaults --host 127.0.0.1 --port "$a_port" --user bk --progress=none \
  "${files[@]}" --replay-id same 2>"$work/same.err"; then
  fail "replaying A's binlog into A was not refused"
fi
grep -q "server_id" "$work/same.err" || { cat "$work/same.err" >&2; fail "the refusal does not name the server_id"; }
[[ -z $(q "$a" "SHOW DATABASES LIKE 'binlogkit'") ]] || fail "the refused replay wrote to A"
b=$work/b-position
"$sandbox" sql "$b" -e "SELECT GET_LOCK('binlogkit.replay.held', 0), SLEEP(30)" >/dev/null 2>&1 &
lock_pid=$!
# Until the lock is taken (a fixed pause could end first on a loaded machine).
for _ in $(seq 1 300); do
  [[ $(q "$b" "SELECT IS_USED_LOCK('binlogkit.replay.held') IS NOT NULL") == 1 ]] && break
  kill -0 "$lock_pid" 2>/dev/null || fail "the session meant to hold the lock ended"
  sleep 0.1
done
[[ $(q "$b" "SELECT IS_USED_LOCK('binlogkit.replay.held') IS NOT NULL") == 1 ]] || fail "the lock was never taken"
if replay_to "$b" "${to_drop[@]}" --start-position "$dump_pos" --replay-id held 2>"$work/held.err"; then
  fail "a replay whose id is locked was not refused"
fi
grep -q "another replay" "$work/held.err" || { cat "$work/held.err" >&2; fail "the lock refusal is unclear"; }
kill "$lock_pid" 2>/dev/null || true
wait "$lock_pid" 2>/dev/null || true
lock_pid=""
if replay_to "$b" "${to_drop[@]}" --start-position "$dump_pos" --replay-id pitr-position 2>"$work/again.err"; then
  fail "a second run of a finished replay id without --resume was not refused"
fi
grep -q -- "--resume" "$work/again.err" || { cat "$work/again.err" >&2; fail "the refusal does not mention --resume"; }
# With --resume it has nothing left to do, and the state stays.
replay_to "$b" "${to_drop[@]}" --start-position "$dump_pos" --stop-position "$drop_pos" --replay-id pitr-position \
  --resume 2>"$work/resume.err" || { cat "$work/resume.err" >&2; fail "--resume of a finished replay failed"; }
check_state "$b" "resume of a finished replay"

echo "pitr_e2e (--parallel $parallel${3:+ $3}): OK"
