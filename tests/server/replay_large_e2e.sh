#!/usr/bin/env bash
# Large transactions are streamed: `binlogkit replay` sends a transaction whose statements
# exceed --stream-threshold in pieces as it reads it, inside one open transaction, and
# commits it once; memory stays bounded. Checked on real servers:
#
#  1. Server A writes four large transactions into one binlog: one INSERT … SELECT of 60,000
#     rows (one row statement of many rows events), 20 UPDATEs of 3,000 rows each in one
#     transaction, a multi-table UPDATE (rows events of two tables in one statement) and a
#     large DELETE, with small transactions between them.
#  2. Serial and --parallel 4 replays with --stream-threshold 256K give A's checksums and
#     record every transaction once; their peak RSS is at most half of a serial replay
#     that holds each transaction whole (--stream-threshold 0), the serial one's under 48 MiB.
#  3. --stop-position inside the 20-UPDATE transaction: nothing of it is applied (it is
#     read ahead before its first piece goes out), everything before it is.
#  4. A copy of the binlog cut inside that transaction and flagged in use (a server that
#     crashed while writing it): the same, with the note that the file ends inside an event.
#  5. A replay killed with SIGKILL while a large transaction is open on the target (rows
#     sent, not committed), then --resume: A's checksums, every transaction once. Serial
#     and --parallel 4.
# Exit 0 on success. The servers are always stopped and the directory removed
# (KEEP_WORK=1 keeps it).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}

test_name=replay_large_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "binlogkit binary not found or not executable: $bin"
need_tools mariadbd mariadb-install-db mariadb mariadb-admin python3
[[ -x /usr/bin/time ]] || fail "/usr/bin/time not found (apt-get install time)"

export TZ=UTC
make_work bk-large
replay_pid=""
cleanup_hook() { if [[ -n $replay_pid ]]; then kill -9 "$replay_pid" 2>/dev/null || true; fi; }

cp -- "$bin" "$work/binlogkit"
bin=$work/binlogkit

q() { "$sandbox" sql "$1" --batch --skip-column-names -e "$2"; }
checksums() { q "$1" "CHECKSUM TABLE app.big, app.side, app.log"; }
start() { # start NAME SERVER_ID: a target
  "$sandbox" start "$work/$1" --server-id "$2" >/dev/null
}
# shellcheck disable=SC1090,SC1091
sock() { (source "$work/$1/env" && echo "$SANDBOX_SOCKET"); }
replay() { # replay TARGET ARGS...
  local t=$1
  shift
  "$bin" replay --no-defaults --socket "$(sock "$t")" --user root --progress=none "$@"
}
recorded() { q "$work/$1" "SELECT transactions FROM binlogkit.replay_progress"; }

step "server A and the workload"
start a 1
q "$work/a" "CREATE DATABASE app;
  CREATE TABLE app.big (id INT PRIMARY KEY, v VARCHAR(200) NOT NULL, n INT NOT NULL) ENGINE=InnoDB;
  CREATE TABLE app.side (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;
  CREATE TABLE app.log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20)) ENGINE=InnoDB;
  INSERT INTO app.log (what) VALUES ('start');
  INSERT INTO app.big SELECT seq, REPEAT(CHAR(65 + seq % 26), 150), 0 FROM app.seq_1_to_60000;
  INSERT INTO app.log (what) VALUES ('after insert');
  INSERT INTO app.side SELECT seq, 0 FROM app.seq_1_to_30000;"
{
  echo "START TRANSACTION;"
  for k in $(seq 0 19); do
    echo "UPDATE app.big SET n = n + 1 WHERE id BETWEEN $((k * 3000 + 1)) AND $((k * 3000 + 3000));"
  done
  echo "INSERT INTO app.log (what) VALUES ('updates');"
  echo "COMMIT;"
} | "$sandbox" sql "$work/a"
q "$work/a" "INSERT INTO app.log (what) VALUES ('before join');
  UPDATE app.big b JOIN app.side s ON s.id = b.id SET b.n = b.n + 10, s.v = s.v + 1 WHERE b.id <= 30000;
  DELETE FROM app.big WHERE id > 45000;
  INSERT INTO app.log (what) VALUES ('end');"
# shellcheck disable=SC1091
source "$work/a/env"
binlog=$SANDBOX_BINLOG_DIR/$SANDBOX_BINLOG_BASENAME.000001
q "$work/a" "FLUSH BINARY LOGS"
want=$(checksums "$work/a")
# Transactions in the binlog: GTID events.
events=$(q "$work/a" "SHOW BINLOG EVENTS IN '$(basename "$binlog")'")
total=$(awk -F'\t' '$3 == "Gtid"' <<<"$events" | wc -l)
((total == 13)) || fail "expected 13 transactions in A's binlog, found $total"
# The 20-UPDATE transaction: the GTID event before the first Update_rows event.
upd_gtid=$(awk -F'\t' '$3 == "Gtid" { g = $2; n++ } $3 ~ /^Update_rows/ { print g; exit }' <<<"$events")
before_upd=$(awk -F'\t' -v p="$upd_gtid" '$3 == "Gtid" && $2 < p' <<<"$events" | wc -l)
# An offset in its middle: the 10th of its Update_rows events.
mid=$(awk -F'\t' -v p="$upd_gtid" '$3 ~ /^Update_rows/ && $2 > p { if (++n == 10) { print $2; exit } }' <<<"$events")
[[ -n $upd_gtid && -n $mid ]] || fail "cannot find the UPDATE transaction in A's binlog"
size=$(stat -c %s -- "$binlog")
echo "binlog $size bytes, $total transactions; the UPDATE transaction starts at $upd_gtid ($before_upd before it)"

step "serial replay, --stream-threshold 256K"
start b 2
/usr/bin/time -f '%M' -o "$work/b.rss" "$bin" replay --no-defaults --socket "$(sock b)" --user root --progress=none \
  --stream-threshold 256K "$binlog" || fail "replay failed"
[[ $(checksums "$work/b") == "$want" ]] || fail "checksums differ from A's"
[[ $(recorded b) == "$total" ]] || fail "progress records $(recorded b) transactions, want $total"
rss_stream=$(cat "$work/b.rss")

step "serial replay holding each transaction whole (--stream-threshold 0)"
start c 3
/usr/bin/time -f '%M' -o "$work/c.rss" "$bin" replay --no-defaults --socket "$(sock c)" --user root --progress=none \
  --stream-threshold 0 "$binlog" || fail "replay failed"
[[ $(checksums "$work/c") == "$want" ]] || fail "checksums differ from A's"
rss_whole=$(cat "$work/c.rss")
echo "peak RSS: streamed $((rss_stream / 1024)) MiB, whole $((rss_whole / 1024)) MiB"
# ldd's whole output is read before it is matched: `ldd | grep -q` under pipefail fails
# when grep exits at the first match and ldd dies of SIGPIPE writing the rest.
if [[ $(ldd "$bin" 2>/dev/null || true) == *libasan* ]]; then
  # AddressSanitizer keeps freed memory in quarantine and adds shadow memory: the bound
  # is checked in the normal build.
  echo "(AddressSanitizer build: peak RSS not checked)"
else
  ((rss_stream * 2 <= rss_whole)) || fail "streaming did not bound memory: $rss_stream KiB vs $rss_whole KiB whole"
  ((rss_stream <= 48 * 1024)) || fail "streamed replay peaked at $rss_stream KiB (limit 48 MiB)"
fi

step "--parallel 4, --stream-threshold 256K"
start d 4
/usr/bin/time -f '%M' -o "$work/d.rss" "$bin" replay --no-defaults --socket "$(sock d)" --user root --progress=none \
  --parallel 4 --parallel-mode optimistic --stream-threshold 256K -v "$binlog" 2>"$work/d.err" ||
  { cat "$work/d.err" >&2; fail "replay failed"; }
rss_parallel=$(cat "$work/d.rss")
echo "peak RSS: --parallel 4 streamed $((rss_parallel / 1024)) MiB"
if [[ $(ldd "$bin" 2>/dev/null || true) != *libasan* ]]; then
  ((rss_parallel * 2 <= rss_whole)) ||
    fail "--parallel 4 streaming did not bound memory: $rss_parallel KiB vs $rss_whole KiB whole"
fi
grep -q "a large transaction, sent in pieces as it is read" "$work/d.err" ||
  { cat "$work/d.err" >&2; fail "-v did not say that large transactions are applied alone"; }
[[ $(checksums "$work/d") == "$want" ]] || fail "checksums differ from A's"
[[ $(recorded d) == "$total" ]] || fail "progress records $(recorded d) transactions, want $total"

step "--stop-position inside the large UPDATE transaction"
for par in 1 4; do
  start "e$par" $((10 + par))
  replay "e$par" --parallel "$par" --stream-threshold 256K --stop-position "$mid" "$binlog" 2>"$work/e.err" ||
    { cat "$work/e.err" >&2; fail "replay failed"; }
  grep -q "falls inside the transaction that starts at $upd_gtid: it is not applied" "$work/e.err" ||
    { cat "$work/e.err" >&2; fail "no note about the stop position inside the transaction"; }
  [[ $(q "$work/e$par" "SELECT SUM(n), COUNT(*) FROM app.big") == $'0\t60000' ]] ||
    fail "part of the UPDATE transaction was applied (--parallel $par)"
  [[ $(q "$work/e$par" "SELECT GROUP_CONCAT(what ORDER BY id) FROM app.log") == "start,after insert" ]] ||
    fail "app.log: $(q "$work/e$par" "SELECT GROUP_CONCAT(what ORDER BY id) FROM app.log")"
  [[ $(recorded "e$par") == "$before_upd" ]] || fail "progress records $(recorded "e$par"), want $before_upd"
done

step "a copy cut inside the large UPDATE transaction"
cut_at=$((mid + 100))
head -c "$cut_at" "$binlog" >"$work/cut.000001"
# Flagged in use, as a file whose server crashed while writing it: a closed binlog cut
# short is damage and stops the replay (damaged_replay_e2e checks that).
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(4 + 17); b = f.read(1)[0]; f.seek(4 + 17); f.write(bytes([b | 1]))' \
  "$work/cut.000001"  # LOG_EVENT_BINLOG_IN_USE_F (outside the format description's CRC)
start f 20
replay f --stream-threshold 256K "$work/cut.000001" 2>"$work/f.err" || { cat "$work/f.err" >&2; fail "replay failed"; }
grep -q "the file is flagged in use and ends inside the event at $mid" "$work/f.err" ||
  { cat "$work/f.err" >&2; fail "no note about the cut"; }
[[ $(q "$work/f" "SELECT SUM(n), COUNT(*) FROM app.big") == $'0\t60000' ]] || fail "part of the UPDATE transaction was applied"
[[ $(recorded f) == "$before_upd" ]] || fail "progress records $(recorded f), want $before_upd"

step "killed while a large transaction is open on the target, then --resume"
for par in 1 4; do
  t=g$par
  start "$t" $((30 + par))
  "$bin" replay --no-defaults --socket "$(sock "$t")" --user root --progress=none --parallel "$par" \
    --stream-threshold 64K "$binlog" 2>"$work/$t.err" &
  replay_pid=$!
  # Wait until a transaction on the target has modified many rows without committing
  # (InnoDB refreshes INNODB_TRX only when nobody read it for 100 ms).
  open=""
  for _ in $(seq 1 200); do
    open=$(mariadb --no-defaults --socket "$(sock "$t")" -uroot --batch --skip-column-names -e \
      "SELECT MAX(trx_rows_modified) FROM information_schema.INNODB_TRX" 2>/dev/null || true)
    [[ $open =~ ^[0-9]+$ ]] && ((open >= 2000)) && break
    kill -0 "$replay_pid" 2>/dev/null || break
    sleep 0.15
  done
  if ! [[ $open =~ ^[0-9]+$ ]] || ((open < 2000)); then
    cat "$work/$t.err" >&2
    fail "never saw a large open transaction (--parallel $par, last: $open)"
  fi
  kill -9 "$replay_pid"
  wait "$replay_pid" 2>/dev/null || true
  replay_pid=""
  got=$(recorded "$t" 2>/dev/null || echo 0)
  echo "killed with $open rows of an open transaction; $got transactions recorded"
  # What is committed agrees with the progress row: the log rows are one per transaction
  # that writes app.log; app.big holds either none or all of the INSERT … SELECT.
  rows=$(q "$work/$t" "SELECT COUNT(*) FROM app.big" 2>/dev/null || echo 0)
  [[ $rows == 0 || $rows == 60000 ]] || fail "app.big holds $rows rows: part of a transaction is committed"
  replay "$t" --resume --parallel "$par" --stream-threshold 64K "$binlog" || fail "--resume failed"
  [[ $(checksums "$work/$t") == "$want" ]] || fail "checksums differ from A's after --resume (--parallel $par)"
  [[ $(recorded "$t") == "$total" ]] || fail "progress records $(recorded "$t"), want $total"
done

echo "replay_large_e2e: OK"
