#!/usr/bin/env bash
# `binlogkit replay --parallel`: a workload that conflicts on purpose, and a binlog without
# parallelism information, against real MariaDB servers (scripts/mariadb-sandbox).
#
# Usage: tests/server/parallel_replay_e2e.sh [BINLOGKIT]
#
#  1. Server A (binlog group commits encouraged: binlog_commit_wait_count) runs 6 client
#     sessions at once, 250 transactions each: every transaction updates one of 3 hot
#     rows (c = c + 1, non-idempotent), moves money between 2 of 20 accounts, and inserts
#     a log row. The binlog must hold MariaDB group commit ids.
#  2. Server B gets a serial replay, C `--parallel 4` (conservative: group commit ids),
#     D `--parallel 4 --parallel-mode optimistic` (everything row-based together: the hot
#     rows make later transactions take locks earlier ones need, so the commit-order
#     deadlock must be found and resolved; the summary must report retries). CHECKSUM
#     TABLE of every table equals A's on B, C and D, and each progress row counts every
#     transaction once.
#  3. Target G holds a row that a transaction in the middle inserts: an optimistic
#     `--parallel 4` replay stops there (exit 1, the transaction's GTID and error 1062
#     named), every earlier transaction committed and recorded, no later one, no slot row
#     left. A run whose third worker cannot connect fails and leaves that record as it
#     was. With the row gone, --resume gives A's checksums.
#  4. Server E runs a workload on MyISAM tables (no FL_TRANSACTIONAL: no parallelism
#     information) from 3 sessions; `--parallel 4 --verbose` must say it applies serially,
#     apply every transaction alone, and give E's checksums on a fresh target.
# Exit 0 on success; servers always stopped (KEEP_WORK=1 keeps the directory).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}

test_name=parallel_replay_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "binlogkit binary not found or not executable: $bin"
need_tools mariadbd mariadb-install-db mariadb mariadb-admin

export TZ=UTC
make_work bk-parallel

cp -- "$bin" "$work/binlogkit"
bin=$work/binlogkit

q() { "$sandbox" sql "$work/$1" --batch --skip-column-names -e "$2"; }
checksums() { table_checksums "$work/$1" "$2"; }  # SERVER FILE
sock() { (source "$work/$1/env" && echo "$SANDBOX_SOCKET"); }
binlogs() { # the binlog files of server $1, in order
  local dir base
  dir=$(source "$work/$1/env" && echo "$SANDBOX_BINLOG_DIR")
  base=$(source "$work/$1/env" && echo "$SANDBOX_BINLOG_BASENAME")
  sed "s|^.*/|$dir/|" "$dir/$base.index"
}
replay() { # replay TARGET REPLAY-ID ARGS...
  local t=$1 id=$2
  shift 2
  "$bin" replay "${files[@]}" --no-defaults --socket "$(sock "$t")" --user root --progress=none --replay-id "$id" "$@"
}
recorded() { q "$1" "SELECT transactions FROM binlogkit.replay_progress WHERE replay_id = '$2'"; }

step "server A: concurrent sessions on hot rows"
"$sandbox" start "$work/a" --server-id 1 -- --binlog-commit-wait-count=3 --binlog-commit-wait-usec=20000 \
  --sync-binlog=1 --innodb-flush-log-at-trx-commit=1 >/dev/null
q a "CREATE DATABASE app; USE app;
     CREATE TABLE app.hot (id INT PRIMARY KEY, c BIGINT NOT NULL) ENGINE=InnoDB;
     CREATE TABLE app.acct (id INT PRIMARY KEY, bal BIGINT NOT NULL) ENGINE=InnoDB;
     CREATE TABLE app.log (s INT, i INT, c BIGINT, PRIMARY KEY (s, i)) ENGINE=InnoDB;
     INSERT INTO app.hot VALUES (1, 0), (2, 0), (3, 0);
     INSERT INTO app.acct SELECT seq, 1000 FROM seq_1_to_20;"
sessions=6 per=250
for ((s = 1; s <= sessions; s++)); do
  {
    for ((i = 1; i <= per; i++)); do
      h=$(((s * 7 + i) % 3 + 1)) from=$(((s + i) % 20 + 1)) to=$(((s * 3 + i * 7) % 20 + 1))
      echo "BEGIN;"
      echo "UPDATE app.hot SET c = c + 1 WHERE id = $h;"
      # Accounts in id order: the sessions on A must not deadlock among themselves.
      if ((from < to)); then
        echo "UPDATE app.acct SET bal = bal - $i WHERE id = $from;"
        echo "UPDATE app.acct SET bal = bal + $i WHERE id = $to;"
      else
        echo "UPDATE app.acct SET bal = bal + $i WHERE id = $to;"
        echo "UPDATE app.acct SET bal = bal - $i WHERE id = $from;"
      fi
      echo "INSERT INTO app.log SELECT $s, $i, c FROM app.hot WHERE id = $h;"
      echo "COMMIT;"
    done
  } >"$work/session$s.sql"
done
pids=()
for ((s = 1; s <= sessions; s++)); do
  "$sandbox" sql "$work/a" <"$work/session$s.sql" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a client session failed"; done
q a 'FLUSH BINARY LOGS' >/dev/null
total=$(q a 'SELECT @@gtid_binlog_pos' | sed 's/.*-//')
((total == sessions * per + 6)) || fail "A wrote $total transactions, expected $((sessions * per + 6))"
mapfile -t files < <(binlogs a)
"$bin" dump --json "${files[@]}" >"$work/a-dump.json" || fail "dump --json of A's binlogs failed"
grep '"type":"Gtid"' "$work/a-dump.json" >"$work/a-gtids.json" || fail "no GTID events in A's binlogs"
groups=$(count_matches '"commit_id"' "$work/a-gtids.json")
echo "$total transactions, $groups of them in group commits"
((groups >= 50)) || fail "the binlog has only $groups transactions with a group commit id"
checksums a "$work/want.txt"

for t in b c d; do "$sandbox" start "$work/$t" --server-id 2 >/dev/null; done
check() { # check TARGET ID WHAT
  checksums "$1" "$work/got.txt"
  if ! diff "$work/want.txt" "$work/got.txt" >"$work/diff.txt"; then
    cat "$work/diff.txt" >&2
    fail "$3: table checksums differ from A's"
  fi
  local n
  n=$(recorded "$1" "$2")
  ((n == total)) || fail "$3: the progress row counts $n transactions, A wrote $total"
  [[ $(q "$1" "SELECT COUNT(*) FROM app.log") == $((sessions * per)) ]] || fail "$3: app.log lost or doubled rows"
}

step "serial replay"
replay b serial 2>"$work/b.err" || { cat "$work/b.err" >&2; fail "replay failed"; }
check b serial "serial"

step "--parallel 4 (conservative)"
replay c par -v --parallel 4 --parallel-batches off 2>"$work/c.err" || { cat "$work/c.err" >&2; fail "replay failed"; }
check c par "--parallel 4"
grep "parallel apply on 4 connections: $total transactions" "$work/c.err" || { cat "$work/c.err" >&2; fail "no summary"; }
# MariaDB groups: a transaction waits for the group before it to have executed, so the
# results of a transaction sent behind a COMMIT are read as they come, never deferred.
grep -q "COMMIT before (0 of them read at their turn)" "$work/c.err" ||
  { cat "$work/c.err" >&2; fail "conservative mode deferred a follower's results"; }

step "--parallel 4 --parallel-mode optimistic"
replay d opt -v --parallel 4 --parallel-mode optimistic --parallel-batches off 2>"$work/d.err" || { cat "$work/d.err" >&2; fail "replay failed"; }
check d opt "--parallel 4 optimistic"
summary=$(grep "parallel apply on 4 connections" "$work/d.err") || { cat "$work/d.err" >&2; fail "no summary"; }
echo "$summary"
retries=$(sed -n 's/.* \([0-9]*\) run again after a conflict.*/\1/p' <<<"$summary")
((retries > 0)) || fail "hot rows replayed optimistically without a single conflict: the conflict path is untested"
followers=$(sed -n 's/.* \([0-9]*\) started in the packet of the COMMIT before.*/\1/p' <<<"$summary")
((followers > 0)) || fail "no transaction started in the packet of an earlier COMMIT: that path is untested"
deferred=$(sed -n 's/.* COMMIT before (\([0-9]*\) of them read at their turn).*/\1/p' <<<"$summary")
((deferred > 0)) || fail "no follower's results were read at its turn: that path is untested"

step "--parallel 4 --parallel-batches on"
# Every transaction that commits with a COMMIT goes in a batch of one connection; the
# four DDL statements of the setup commit on their own and are applied alone.
"$sandbox" start "$work/h" --server-id 2 >/dev/null
replay h bat -v --parallel 4 --parallel-mode optimistic --parallel-batches on 2>"$work/h.err" ||
  { cat "$work/h.err" >&2; fail "replay failed"; }
check h bat "--parallel-batches on"
grep -q "parallel apply on 4 connections: $total transactions, 4 applied alone, 0 run again after a conflict .*, 0 started in the packet of the COMMIT before (0 of them read at their turn), $((total - 4)) in [0-9]* batches of one connection (0 changes of way)" "$work/h.err" ||
  { cat "$work/h.err" >&2; fail "--parallel-batches on: not every transaction with a COMMIT went in a batch"; }
"$sandbox" stop "$work/h" >/dev/null

step "an error in one worker stops the replay where every earlier transaction is committed"
# Target G holds a row of app.log that a transaction in the middle of A's binlog inserts:
# that transaction fails with a duplicate key (1062) on every try. The replay must stop
# with it as the one named, every earlier transaction committed and no later one, the
# position folded into the replay's row; once the row is gone, --resume finishes.
mkdir -p "$work/mb-load"
mariadb-binlog --no-defaults --local-load="$work/mb-load" -v "${files[@]}" >"$work/a-binlog.txt"
bad=$(awk '/[ \t]GTID 0-1-[0-9]+/ { match($0, /[ \t]GTID 0-1-[0-9]+/); seq = substr($0, RSTART + 10, RLENGTH - 10) }
           /^### INSERT INTO `app`.`log`/ { ins = 1; next }
           ins && /^###   @1=/ { s = $2 }
           ins && /^###   @2=/ { if (s == "@1=4" && $2 == "@2=125") { print seq; exit } ins = 0 }' "$work/a-binlog.txt")
[[ $bad =~ ^[0-9]+$ ]] && ((bad > 6 && bad < total)) || fail "no transaction of A inserts app.log (4, 125): '$bad'"
# Where transaction 7 starts (the end of the setup) in the first file: "# at N" before its GTID.
p7=$(awk '/^# at / { at = $3 } /[ \t]GTID 0-1-7( |$)/ { print at; exit }' \
  <(mariadb-binlog --no-defaults --local-load="$work/mb-load" "${files[0]}"))
[[ $p7 =~ ^[0-9]+$ ]] || fail "transaction 7 not found in ${files[0]}"
"$sandbox" start "$work/g" --server-id 13 >/dev/null
"$bin" replay "${files[0]}" --no-defaults --socket "$(sock g)" --user root --progress=none --replay-id err \
  --parallel 4 --parallel-mode optimistic --stop-position "$p7" || fail "the replay of the setup failed"
[[ $(recorded g err) == 6 ]] || fail "the setup replay recorded $(recorded g err) transactions, not 6"
q g "INSERT INTO app.log VALUES (4, 125, -1)"
stopped_at_bad() { # stopped_at_bad TARGET RC ERRFILE WHAT: the replay failed at transaction $bad
  local t=$1 rc=$2 err=$3 what=$4
  ((rc == 1)) || { cat "$err" >&2; fail "$what: exited with $rc at a duplicate key, not 1"; }
  grep -q "(GTID 0-1-$bad)" "$err" || { cat "$err" >&2; fail "$what: the failure does not name transaction 0-1-$bad"; }
  grep -q "server:    error 1062:" "$err" || fail "$what: the failure does not give the server's error 1062"
  [[ $(recorded "$t" err) == $((bad - 1)) ]] || fail "$what: the progress row counts $(recorded "$t" err), not $((bad - 1))"
  [[ $(q "$t" "SELECT COUNT(*) FROM binlogkit.replay_progress WHERE replay_id LIKE 'err#%'") == 0 ]] ||
    fail "$what: rows of connection slots are left after the failure"
  # Each transaction after the setup inserts one app.log row: exactly those before it.
  local n
  n=$(q "$t" "SELECT COUNT(*) FROM app.log WHERE c >= 0")
  ((n == bad - 1 - 6)) || fail "$what: app.log holds $n replayed rows, not $((bad - 1 - 6))"
}
rc=0
replay g err --resume --parallel 4 --parallel-mode optimistic --parallel-batches off 2>"$work/g.err" || rc=$?
cat "$work/g.err"
stopped_at_bad g "$rc" "$work/g.err" "N connections"
# A run that fails before it applies anything (an account allowed three connections: the
# main one and two workers of four) leaves the recorded position and count as they were.
q g "CREATE USER lim@localhost IDENTIFIED BY 'lim' WITH MAX_USER_CONNECTIONS 3;
     GRANT ALL ON *.* TO lim@localhost"
rc=0
MYSQL_PWD=lim "$bin" replay "${files[@]}" --no-defaults --socket "$(sock g)" --user lim --progress=none \
  --replay-id err --resume --parallel 4 --parallel-mode optimistic 2>"$work/g1.err" || rc=$?
((rc == 1)) && grep -q "connection 3 of 4: " "$work/g1.err" ||
  { cat "$work/g1.err" >&2; fail "a replay whose third worker cannot connect did not fail there (exit $rc)"; }
[[ $(recorded g err) == $((bad - 1)) ]] || fail "after a failed start the progress row counts $(recorded g err)"
q g "DELETE FROM app.log WHERE s = 4 AND i = 125"
replay g err --resume --parallel 4 --parallel-mode optimistic 2>"$work/g2.err" ||
  { cat "$work/g2.err" >&2; fail "the replay did not resume after the failure"; }
check g err "--parallel 4 optimistic, failed and resumed"

step "the same error in a batch of one connection"
# The duplicate key comes in a batch: the transactions before it are committed and
# recorded (all of them in batches), it and the rest of its batch are not.
"$sandbox" stop "$work/g" >/dev/null
"$sandbox" start "$work/k" --server-id 14 >/dev/null
"$bin" replay "${files[0]}" --no-defaults --socket "$(sock k)" --user root --progress=none --replay-id err \
  --parallel 4 --parallel-batches on --stop-position "$p7" || fail "the replay of the setup failed"
q k "INSERT INTO app.log VALUES (4, 125, -1)"
rc=0
replay k err --resume -v --parallel 4 --parallel-batches on 2>"$work/k.err" || rc=$?
stopped_at_bad k "$rc" "$work/k.err" "batches"
grep -q "parallel apply on 4 connections: $((bad - 7)) transactions, 0 applied alone, .*, $((bad - 7)) in [0-9]* batches" "$work/k.err" ||
  { cat "$work/k.err" >&2; fail "batches: the transactions before the failure were not all applied in batches"; }
q k "DELETE FROM app.log WHERE s = 4 AND i = 125"
replay k err --resume --parallel 4 --parallel-batches on 2>"$work/k2.err" ||
  { cat "$work/k2.err" >&2; fail "the batches did not resume after the failure"; }
check k err "--parallel-batches on, failed and resumed"
"$sandbox" stop "$work/k" >/dev/null

step "a binlog without parallelism information (MyISAM)"
"$sandbox" start "$work/e" --server-id 11 -- --binlog-commit-wait-count=2 --binlog-commit-wait-usec=20000 >/dev/null
q e "CREATE DATABASE m;
     CREATE TABLE m.t (id INT PRIMARY KEY, c BIGINT NOT NULL) ENGINE=MyISAM;
     CREATE TABLE m.l (id INT AUTO_INCREMENT PRIMARY KEY, s INT, v BIGINT) ENGINE=MyISAM;
     INSERT INTO m.t VALUES (1, 0), (2, 0);"
pids=()
for ((s = 1; s <= 3; s++)); do
  for ((i = 1; i <= 100; i++)); do
    echo "UPDATE m.t SET c = (c * 3 + $s) % 1000003 WHERE id = $((i % 2 + 1));"
    echo "INSERT INTO m.l (s, v) SELECT $s, c FROM m.t WHERE id = $((i % 2 + 1));"
  done >"$work/m$s.sql"
  "$sandbox" sql "$work/e" <"$work/m$s.sql" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a client session failed"; done
q e 'FLUSH BINARY LOGS' >/dev/null
e_total=$(q e 'SELECT @@gtid_binlog_pos' | sed 's/.*-//')
mapfile -t files < <(binlogs e)
checksums e "$work/want.txt"
"$sandbox" start "$work/f" --server-id 12 >/dev/null
replay f myisam -v --parallel 4 --parallel-batches off 2>"$work/f.err" || { cat "$work/f.err" >&2; fail "replay failed"; }
checksums f "$work/got.txt"
if ! diff "$work/want.txt" "$work/got.txt" >"$work/diff.txt"; then
  cat "$work/diff.txt" >&2
  fail "MyISAM replay: table checksums differ from E's"
fi
grep -q "applying serially from here: .*not transactional\|applying serially from here: .*commits on its own" "$work/f.err" ||
  { cat "$work/f.err" >&2; fail "--verbose does not say it applies serially"; }
grep -q "parallel apply on 4 connections: $e_total transactions, $e_total applied alone" "$work/f.err" ||
  { cat "$work/f.err" >&2; fail "not every transaction of the MyISAM binlog was applied alone"; }
n=$(recorded f myisam)
((n == e_total)) || fail "the progress row counts $n transactions, E wrote $e_total"

# Every wait ends on a wake-up from the change it waits for, none by its time limit.
if grep -h "late wake-ups" "$work/c.err" "$work/d.err" "$work/f.err" "$work/h.err" "$work/k.err"; then
  fail "a worker or the reader missed a wake-up"
fi

echo "parallel_replay_e2e: OK ($total transactions with $groups in group commits; optimistic: $retries retries, $followers followers; $e_total MyISAM transactions applied alone)"
