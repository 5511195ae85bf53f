#!/usr/bin/env bash
# `binlogkit replay` killed with SIGKILL at random points and resumed, and the target
# server crashed once in the middle: every transaction is applied exactly once.
#
# Usage: tests/server/replay_resume_e2e.sh [BINLOGKIT [PARALLEL [MODE [BATCHES]]]]
#   BINLOGKIT: the binlogkit binary (default: $BINLOGKIT, else build/binlogkit)
#   PARALLEL:  every replay runs with --parallel PARALLEL (default 1: the serial applier)
#   MODE:      its --parallel-mode (default conservative)
#   BATCHES:   its --parallel-batches (default: the binary's, auto)
#
#  1. Server A (small binlog files) runs a workload of 1205 transactions: row and
#     statement transactions, statement-based LOAD DATA, transactions of 300 rows,
#     non-idempotent updates (counter = counter + 1) and inserts into a table without a
#     primary key, so a transaction applied twice changes the checksums. Every transaction
#     after the first DDL inserts one row into app.markers.
#  2. Server B (every commit flushed) receives `binlogkit replay --resume` of all of A's
#     binlogs, killed with SIGKILL at 10 random moments while it runs. After each kill the
#     progress row must agree with the data: markers = recorded transactions - DDL. With
#     --parallel, the recorded count is the highest of the replay's row and its
#     connections' rows ('resume-test#K'); some kill must leave those rows ahead of the
#     replay's own, and a run without --resume is then refused.
#  3. Once, the target itself is killed with SIGKILL in the middle, restarted (crash
#     recovery), the same check made, and the replay resumed.
#  4. A last --resume runs to the end: CHECKSUM TABLE of every table equals A's, and the
#     progress row counts exactly the number of transactions A wrote; no connection's
#     row is left.
# Exit 0 on success. The servers are always stopped and the directory removed
# (KEEP_WORK=1 keeps it).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}
parallel=${2:-1}
par_args=()
((parallel > 1)) && par_args=(--parallel "$parallel" --parallel-mode "${3:-conservative}")
[[ -n ${4:-} ]] && par_args+=(--parallel-batches "$4")

test_name=replay_resume_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "binlogkit binary not found or not executable: $bin"
need_tools mariadbd mariadb-install-db mariadb mariadb-admin mariadb-binlog

export TZ=UTC
make_work bk-resume
a=$work/a
b=$work/b
replay_pid=""
cleanup_hook() { if [[ -n $replay_pid ]]; then kill -9 "$replay_pid" 2>/dev/null || true; fi; }

cp -- "$bin" "$work/binlogkit"
bin=$work/binlogkit

sql() { "$sandbox" sql "$1" --batch; }
q() { "$sandbox" sql "$1" --batch --skip-column-names -e "$2"; }
checksums() { table_checksums "$1" "$2"; }  # SERVER FILE

step "server A and the workload"
"$sandbox" start "$a" --server-id 1 -- --max-binlog-size=262144 >/dev/null
# shellcheck disable=SC1091
source "$a/env"
a_binlogs=$SANDBOX_BINLOG_DIR
a_index=$a_binlogs/$SANDBOX_BINLOG_BASENAME.index
ddl=4
printf '1\tone\n2\ttwo\n3\tthree\n' >"$work/load.txt"
{
  echo "CREATE DATABASE app;"
  echo "CREATE TABLE app.markers (n INT PRIMARY KEY) ENGINE=InnoDB;"
  echo "CREATE TABLE app.counters (id INT PRIMARY KEY, c BIGINT NOT NULL, s VARCHAR(1000)) ENGINE=InnoDB;"
  echo "CREATE TABLE app.nopk (a INT, b VARCHAR(64), c DOUBLE) ENGINE=InnoDB;"
  echo "USE app;"
  echo "INSERT INTO counters VALUES (1, 0, ''), (2, 0, ''), (3, 0, '');"
  for ((i = 1; i <= 1200; i++)); do
    if ((i % 2)); then echo "SET SESSION binlog_format = 'STATEMENT';"; else echo "SET SESSION binlog_format = 'ROW';"; fi
    echo "BEGIN;"
    echo "INSERT INTO markers VALUES ($i);"
    case $((i % 5)) in
      0) echo "UPDATE counters SET c = c + 1, s = CONCAT(s, 'x') WHERE id = 1;" ;;
      1) echo "INSERT INTO nopk VALUES ($i, CONCAT('it''s ', $i, ' \\\\ ;'), RAND($i));" ;;
      2) echo "INSERT INTO nopk SELECT seq, 'bulk', seq / 3 FROM seq_1_to_300;" ;;
      3) echo "LOAD DATA INFILE '$work/load.txt' INTO TABLE nopk (a, b);" ;;
      4) echo "UPDATE counters SET c = c + $i WHERE id IN (2, 3); DELETE FROM nopk WHERE a = $((i - 3)) LIMIT 1;" ;;
    esac
    echo "COMMIT;"
  done
} >"$work/workload.sql"
sql "$a" <"$work/workload.sql" >/dev/null || fail "workload failed"
q "$a" 'FLUSH BINARY LOGS' >/dev/null
total=$(q "$a" 'SELECT @@gtid_binlog_pos' | sed 's/.*-//')
[[ $total =~ ^[0-9]+$ ]] || fail "cannot read A's GTID position"
mapfile -t files < <(sed "s|^.*/|$a_binlogs/|" "$a_index")
((${#files[@]} >= 3)) || fail "expected several binlog files, got ${#files[@]}"
checksums "$a" "$work/want.txt"
echo "$total transactions in ${#files[@]} files"

step "server B"
start_b() {
  "$sandbox" start "$b" --server-id 2 -- --innodb-flush-log-at-trx-commit=1 --sync-binlog=1 >/dev/null
}
start_b
# shellcheck disable=SC1091
b_sock=$(source "$b/env" && echo "$SANDBOX_SOCKET")

replay_bg() { # starts the replay in the background; its pid in replay_pid
  "$bin" replay "${par_args[@]}" "${files[@]}" --no-defaults --socket "$b_sock" --user root --resume --replay-id resume-test \
    --progress=json >>"$work/replay.out" 2>&1 &
  replay_pid=$!
}
# The replay's position: the highest count of its row and its connections' rows.
rows="FROM binlogkit.replay_progress WHERE replay_id = 'resume-test' OR replay_id LIKE 'resume-test#%'"
recorded() { q "$b" "SELECT MAX(transactions) $rows" 2>/dev/null || true; }
slot_rows() { # 0 too before a kill let the progress table be created
  local c
  c=$(q "$b" "SELECT COUNT(*) FROM binlogkit.replay_progress WHERE replay_id LIKE 'resume-test#%'" 2>/dev/null || true)
  [[ $c =~ ^[0-9]+$ ]] && echo "$c" || echo 0
}
# Waits until the server has no connection but this one: a replay killed with SIGKILL
# leaves its last packet running on the server (a batch holds up to 64 transactions),
# and what is recorded may still grow until that connection ends.
wait_target_idle() {
  local i others
  for ((i = 0; i < 300; i++)); do
    others=$(q "$b" "SELECT COUNT(*) FROM information_schema.processlist
                     WHERE id <> CONNECTION_ID() AND command <> 'Daemon'")
    ((others == 0)) && return 0
    sleep 0.05
  done
  fail "the killed replay's connections still run on the target after 15 s"
}

consistent() { # the progress row agrees with the data; prints the recorded count
  local row n m
  # One statement, one read view: a killed replay's last packet may still be running.
  if ! row=$(q "$b" "SELECT IFNULL((SELECT MAX(transactions) $rows), 0),
                            (SELECT COUNT(*) FROM app.markers)" 2>"$work/consistent.err"); then
    # Only a table not created yet is expected: the progress table (nothing recorded)
    # or app.markers (transaction 2 not applied, so at most 1 recorded).
    grep -q "ERROR 1146" "$work/consistent.err" ||
      { cat "$work/consistent.err" >&2; fail "cannot read the progress row and app.markers"; }
    if ! n=$(q "$b" "SELECT IFNULL(MAX(transactions), 0) $rows" 2>"$work/consistent.err"); then
      grep -q "ERROR 1146" "$work/consistent.err" || { cat "$work/consistent.err" >&2; fail "cannot read the progress row"; }
      n=0
    fi
    ((n <= 1)) || fail "progress row says $n transactions but app.markers does not exist"
    row="$n 0"
  fi
  read -r n m <<<"$row"
  [[ $n =~ ^[0-9]+$ && $m =~ ^[0-9]+$ ]] || fail "unexpected answer '$row' to the progress and marker counts"
  # Transactions 1-4 are the DDL, 5 the counters' INSERT; transaction k > 5 holds marker
  # k - 5.
  local want=$((n > ddl + 1 ? n - ddl - 1 : 0))
  ((m == want)) || fail "progress row says $n transactions but app.markers has $m rows (expected $want)"
  echo "$n"
}

step "replay killed with SIGKILL at random points"
kills=0 attempts=0 slots_seen=0 refused=0
last=0
max_ms=120  # shrinks when a run gets through too much (ten kills must land before the end), grows when nothing was applied
# With --parallel, also until a kill left the connections' rows ahead of the replay's own.
while (((kills < 10 || (parallel > 1 && !refused)) && attempts < 100)); do
  attempts=$((attempts + 1))
  replay_bg
  # The connection and the scan to the resume point take part of the delay.
  ms=$((20 + RANDOM % max_ms))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  if kill -0 "$replay_pid" 2>/dev/null; then
    kill -9 "$replay_pid" 2>/dev/null || true
    wait "$replay_pid" 2>/dev/null || true
    replay_pid=""
    wait_target_idle
    n=$(consistent)
    if ((n < total)); then
      kills=$((kills + 1))
      slots=$(slot_rows)
      echo "kill $kills: $n of $total transactions recorded ($slots rows of connections)"
      if ((slots > 0)); then
        slots_seen=$((slots_seen + 1))
        main=$(q "$b" "SELECT transactions FROM binlogkit.replay_progress WHERE replay_id = 'resume-test'")
        if ((main < n && !refused)); then
          refused=1
          # Progress recorded only in the connections' rows still counts as progress.
          if "$bin" replay "${par_args[@]}" "${files[@]}" --no-defaults --socket "$b_sock" --user root \
            --replay-id resume-test --progress=none 2>"$work/again.err"; then
            fail "a replay without --resume ran over recorded progress"
          fi
          grep -q "has recorded progress (.*, $n transactions," "$work/again.err" ||
            { cat "$work/again.err" >&2; fail "the refusal does not name the $n recorded transactions"; }
        fi
      fi
    fi
    if ((n - last > total / 15 && max_ms > 20)); then max_ms=$((max_ms / 2)); fi
    # Nothing applied since the last kill (a slow build still connecting): wait longer.
    if ((n == last && max_ms < 4000)); then max_ms=$((max_ms * 2)); fi
    last=$n
  else
    wait "$replay_pid" || { tail -n 20 "$work/replay.out" >&2; fail "replay failed"; }
    replay_pid=""
    n=$(consistent)
    ((n == total)) && break
    last=$n
  fi
done
((kills >= 10)) || fail "only $kills kills landed in the middle of the replay (it finished too soon)"
if ((parallel > 1)); then
  ((slots_seen > 0)) || fail "no kill left rows of the connections behind"
  ((refused)) || fail "no kill left the replay's own row behind its connections' rows"
else
  ((slots_seen == 0)) || fail "the serial applier wrote rows of connections"
fi
(( $(recorded) < total )) || fail "the replay finished before the server-crash step"

step "target server killed in the middle and restarted"
before=$(recorded)
replay_bg
# Wait until the replay has applied something more, then crash the target.
for ((i = 0; i < 200; i++)); do
  n=$(recorded)
  [[ -n $n ]] && ((n > before)) && break
  sleep 0.02
done
# shellcheck disable=SC1091
b_pid=$(source "$b/env" && echo "$SANDBOX_PID")
kill -9 "$b_pid"
if wait "$replay_pid"; then
  replay_pid=""
  fail "the replay did not notice that the target died"
fi
replay_pid=""
grep -q "connection to the target was lost\|cannot connect" "$work/replay.out" ||
  { tail -n 20 "$work/replay.out" >&2; fail "the replay's failure does not say the connection was lost"; }
for ((i = 0; i < 100; i++)); do kill -0 "$b_pid" 2>/dev/null || break; sleep 0.1; done
start_b
n=$(consistent)
echo "after the crash: $n of $total transactions recorded"

step "resume to the end"
"$bin" replay "${par_args[@]}" "${files[@]}" --no-defaults --socket "$b_sock" --user root --resume --replay-id resume-test \
  --progress=json >"$work/final.out" 2>&1 || { tail -n 20 "$work/final.out" >&2; fail "the final resume failed"; }
n=$(consistent)
((n == total)) || fail "the progress row counts $n transactions, A wrote $total"
[[ $(slot_rows) == 0 ]] || fail "rows of connections are left after the replay ended"
[[ $(q "$b" "SELECT transactions FROM binlogkit.replay_progress WHERE replay_id = 'resume-test'") == "$total" ]] ||
  fail "the replay's own row does not count $total transactions"
checksums "$b" "$work/got.txt"
# The replay's row holds the end of A's last transaction: where the Rotate that
# FLUSH BINARY LOGS wrote begins, in the last file with transactions (mariadb-binlog's
# "# at" of that Rotate), not where the transaction began.
last_file=${files[${#files[@]} - 2]}
want_end=$(mariadb-binlog --no-defaults "$last_file" | awk '/^# at /{at=$3} /Rotate to/{print at; exit}')
[[ $want_end =~ ^[0-9]+$ ]] || fail "no Rotate found by mariadb-binlog in $last_file"
row=$(q "$b" "SELECT file, end_pos FROM binlogkit.replay_progress WHERE replay_id = 'resume-test'")
[[ $row == "$(basename "$last_file")"$'\t'"$want_end" ]] ||
  fail "the progress row says '$row', A's last transaction ends at $(basename "$last_file") $want_end"
if ! diff "$work/want.txt" "$work/got.txt" >"$work/diff.txt"; then
  cat "$work/diff.txt" >&2
  fail "table checksums differ from A's"
fi
tail -n 1 "$work/final.out" | grep -q "\"finished\":true,\|\"finished\":true}" || fail "no final progress line"
tail -n 1 "$work/final.out" | grep -q "\"transactions\":$total," || fail "the final progress line does not count $total"
# --progress=json's last line names the same point as the row.
tail -n 1 "$work/final.out" | grep -q "\"file\":\"$(basename "$last_file")\",\"position\":$want_end," ||
  fail "the final progress line does not name $(basename "$last_file"):$want_end: $(tail -n 1 "$work/final.out")"

echo "replay_resume_e2e (--parallel $parallel${3:+ $3}): OK ($kills kills, one target crash, $total transactions applied once)"
