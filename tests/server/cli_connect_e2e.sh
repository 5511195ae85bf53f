#!/usr/bin/env bash
# `binlogkit replay` connects as the mariadb client does, on real MariaDB 10.11 servers:
#  1. `-h 127.0.0.1 -P PORT -u cli -pSECRET` applies a binlog (exit 0) and ends with a
#     summary line on stderr (not a terminal) naming what was applied and where it stopped;
#  2. while that replay waits on a table lock held on the target, its /proc/PID/cmdline
#     shows "-px" and never the secret;
#  3. option files: with the same files and arguments, binlogkit connects exactly when
#     `mariadb` connects (--defaults-file, ~/.my.cnf in a temporary HOME,
#     --defaults-extra-file read before ~/.my.cnf, [client] and [mysql] in file order, the
#     command line over the files), and both print the same --print-defaults;
#  4. MYSQL_PWD when nothing else gives a password.
#
# Usage: tests/server/cli_connect_e2e.sh [BINLOGKIT]
set -euo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
root=$(cd -- "$here/../.." && pwd -P)
bin=${1:-$root/build/binlogkit}
sandbox=$root/scripts/mariadb-sandbox

test_name=cli_connect_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "binlogkit binary not found: $bin"
need_tools mariadbd mariadb
make_work bk-cliconn
locker=""
replayer=""
cleanup_hook() {
  [[ -n $replayer ]] && kill "$replayer" 2>/dev/null
  [[ -n $locker ]] && kill "$locker" 2>/dev/null
  return 0
}

secret='Pw-of-the-cli-test-7q'
qs() { "$sandbox" sql "$work/s" --batch --skip-column-names -e "$1"; }
qt() { "$sandbox" sql "$work/t" --batch --skip-column-names -e "$1"; }

step "a source whose binlog holds 50 inserts after the table's creation"
"$sandbox" start "$work/s" --server-id 1 >/dev/null || fail "could not start the source"
qs "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY) ENGINE=InnoDB"
read -r file pos < <(qs "SHOW MASTER STATUS" | cut -f1,2)
[[ $pos =~ ^[0-9]+$ ]] || fail "no binlog position from the source"
inserts=""
for i in $(seq 1 50); do inserts+="INSERT INTO d.t VALUES ($i);"; done
qs "$inserts"
gtid=$(qs "SELECT @@gtid_binlog_pos")
# Where the last transaction ends (the file goes on with the Rotate of FLUSH BINARY LOGS).
last_end=$(qs "SHOW BINLOG EVENTS IN '$file'" | awk -F'\t' '$3 == "Xid" { e = $5 } END { print e }')
[[ $last_end =~ ^[0-9]+$ ]] || fail "no Xid in the source's binlog"
qs "FLUSH BINARY LOGS"
# shellcheck disable=SC1091
binlog=$(source "$work/s/env" && echo "$SANDBOX_BINLOG_DIR/$file")
[[ -f $binlog ]] || fail "binlog $binlog not found"

step "a target with the table and a user whose password is the secret"
port=$("$sandbox" start "$work/t" --server-id 2) || fail "could not start the target"
qt "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY) ENGINE=InnoDB;
    CREATE USER 'cli'@'127.0.0.1' IDENTIFIED BY '$secret'; GRANT ALL ON *.* TO 'cli'@'127.0.0.1'"

step "the target's table locked by another session"
"$sandbox" sql "$work/t" -e "LOCK TABLES d.t WRITE; SELECT SLEEP(600)" >/dev/null 2>&1 &
locker=$!
wait_for() {  # wait_for WHAT SQL: until the SQL returns a non-zero count (at most ~60 s)
  local n
  for _ in $(seq 1 300); do
    n=$(qt "$2")
    [[ $n != 0 ]] && return 0
    sleep 0.2
  done
  fail "waited in vain for $1"
}
wait_for "the lock holder" "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(600)%'"

step "replay -h -P -u -pSECRET waits on the lock; its command line shows -px, not the secret"
env -u MYSQL_PWD "$bin" replay -h 127.0.0.1 -P "$port" -u cli -p"$secret" --no-defaults --start-position "$pos" \
  "$binlog" >"$work/replay.out" 2>"$work/replay.err" &
replayer=$!
wait_for "the replay to wait for the lock" \
  "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'cli' AND STATE LIKE '%metadata lock%'"
cmdline=$(tr '\0' ' ' </proc/"$replayer"/cmdline)
echo "   /proc/$replayer/cmdline: ${cmdline//$secret/<SECRET>}"
[[ $cmdline != *"$secret"* ]] || fail "the password is visible in /proc/PID/cmdline"
[[ $cmdline == *" -px "* ]] || fail "the password argument is not shown as -px"
qt "KILL $(qt "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(600)%'")"
rc=0
wait "$replayer" || rc=$?
replayer=""
cat "$work/replay.err"
((rc == 0)) || fail "replay exit $rc"
[[ $(qt "SELECT COUNT(*) FROM d.t") == 50 ]] || fail "the target does not hold the 50 rows"
grep -qF "Using a password on the command line interface can be insecure." "$work/replay.err" ||
  fail "no warning about the password on the command line"
size=$(stat -c %s "$binlog")
grep -qE "^binlogkit replay: applied 50 transactions \($size bytes read\), reached the end of the input, last committed $file:$last_end \(GTID $gtid\), [0-9.]+ s$" \
  "$work/replay.err" || fail "no summary line naming 50 transactions, $file:$last_end and GTID $gtid"
grep -qF "$secret" "$work/replay.err" "$work/replay.out" && fail "the secret was printed"

step "option files: binlogkit connects exactly when mariadb does"
mkdir -p "$work/home"
good=$work/good.cnf bad=$work/bad.cnf
printf '[client]\nuser=cli\npassword=%s\n' "$secret" >"$good"
printf '[client]\nuser=cli\npassword=wrong\n' >"$bad"
# connects EXPECTED ARGS...: mariadb and binlogkit, given the same arguments, both connect
# (EXPECTED 0) or both are refused (EXPECTED 1).
connects() {
  local want=$1; shift
  local theirs=0 ours=0
  env -u MYSQL_PWD HOME="$work/home" mariadb "$@" -h 127.0.0.1 -P "$port" --protocol=tcp -e "SELECT 1" \
    >/dev/null 2>&1 || theirs=1
  # A stop position before the first transaction: connect, apply nothing.
  env -u MYSQL_PWD HOME="$work/home" "$bin" replay "$@" -h 127.0.0.1 -P "$port" --protocol=tcp --stop-position 5 \
    --replay-id "files$RANDOM" "$binlog" >"$work/files.out" 2>"$work/files.err" || ours=1
  local shown="$*"
  echo "   ${shown//$secret/<SECRET>}: mariadb $theirs, binlogkit $ours"
  [[ $theirs == "$want" ]] || fail "$*: mariadb exit $theirs, expected $want"
  [[ $ours == "$want" ]] || { cat "$work/files.err"; fail "$*: binlogkit refused=$ours, expected $want"; }
  if [[ $want == 1 ]]; then grep -q "Access denied" "$work/files.err" || fail "$*: refused for another reason"; fi
  grep -qF "$secret" "$work/files.err" && fail "$*: the secret was printed"
  return 0
}
connects 0 --defaults-file="$good"
connects 1 --defaults-file="$bad"
connects 0 --defaults-file="$bad" -p"$secret"
connects 1 --defaults-file="$good" --password=wrong
cp "$good" "$work/home/.my.cnf"
connects 0
connects 1 --defaults-extra-file="$bad" -pwrong
cp "$bad" "$work/home/.my.cnf"
connects 1
connects 1 --defaults-extra-file="$good"  # ~/.my.cnf is read after the extra file
connects 0 --no-defaults -u cli -p"$secret"
printf '[client]\nuser=cli\npassword=wrong\n[mysql]\npassword=%s\n' "$secret" >"$work/home/.my.cnf"
connects 0
printf '[mysql]\npassword=%s\n[client]\nuser=cli\npassword=wrong\n' "$secret" >"$work/home/.my.cnf"
connects 1
theirs=$(HOME=$work/home mariadb --defaults-extra-file="$good" --print-defaults | sed 1d)
ours=$(HOME=$work/home "$bin" replay --defaults-extra-file="$good" --print-defaults | sed 1d)
[[ -n $theirs && $theirs == "$ours" ]] || fail "--print-defaults: binlogkit '$ours', mariadb '$theirs'"

step "MYSQL_PWD when nothing else gives a password"
rc=0
MYSQL_PWD=$secret "$bin" replay --no-defaults -h 127.0.0.1 -P "$port" -u cli --stop-position 5 --replay-id pwd \
  --progress=json "$binlog" 2>"$work/pwd.err" || rc=$?
((rc == 0)) || { cat "$work/pwd.err"; fail "replay with MYSQL_PWD exit $rc"; }
# With --progress=json the summary is the last line, one JSON object.
tail -1 "$work/pwd.err" | python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
assert j["command"] == "replay" and j["status"] == "applied" and j["exit"] == 0, j
assert j["stopped_at_stop_point"] is True and j["transactions_run"] == 0, j
' || fail "no JSON summary with --progress=json"

echo "cli_connect_e2e: OK"
