#!/usr/bin/env bash
# The command-line habits of a MySQL/MariaDB DBA, without a server: connection options as
# the clients spell them (-h is the host, -pSECRET, --password=SECRET never echoed, option
# files read as `mariadb --print-defaults` reads them), exit codes of every command for
# success and bad arguments, suggestions for typos, a summary line on stderr, progress only
# when asked or on a terminal, dump's bad CRC and start position, salvage's success, the
# wording of a clean triage.
#
# Usage: tests/cli/habits.sh BINLOGKIT
set -euo pipefail
bin=$1
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
secret=S3cr3tPW
file=$td/mixed.000001
closed_port=1  # nothing listens on port 1: a connection is refused at once

echo "== exit codes: --help 0 with the exit codes, bad arguments 2, missing arguments 2"
for cmd in dump verify triage salvage sql replay; do
  run 0 "$bin" "$cmd" --help
  has out "Exit codes:"
  run 2 "$bin" "$cmd" --no-such-option "$file"
  has err "binlogkit $cmd: unknown option --no-such-option"
  run 2 "$bin" "$cmd"
  [[ -s $work/err ]] || fail "$cmd without arguments said nothing"
done
# CLI11's own exit codes (conversion 106, validation 105) are 2 too.
run 2 "$bin" dump --threads many "$file"
run 2 "$bin" verify --progress sometimes "$file"
run 2 "$bin" replay --ssl-mode maybe "$file"
run 0 "$bin" --version
has out "binlogkit "

echo "== success exits 0 and ends with one summary line on stderr"
run 0 "$bin" dump "$file"
[[ $(wc -l <"$work/err") == 1 ]] || fail "dump: not one line on stderr"
has err "binlogkit dump: 1 file(s), 11444 bytes read, intact, "
run 0 "$bin" verify "$file"
has err "binlogkit verify: 1 file(s), 102 events, 11444 bytes: 1 intact, 0 damaged, 0 unreadable, "
run 0 "$bin" verify --json "$file"
python3 -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["command"] == "verify" and j["files"] == 1 and j["intact"] == 1 and j["exit"] == 0, j
' "$work/err" || fail "verify --json summary"
run 0 "$bin" sql "$file"
has err "binlogkit sql: 1 file(s), 11444 bytes of 11444 bytes read, complete, "
run 0 "$bin" triage "$td/mixed.index"
has err "binlogkit triage: 5 file(s), 221 events, 47 complete transactions: no damage found, "

echo "== a clean triage does not speak of damage"
has out "no damage found"
has out "complete transactions: 47"
lacks out "before the first damage"

echo "== dump of a bad CRC exits 1 and names it"
cp "$file" "$work/flipped"
printf '\x55' | dd of="$work/flipped" bs=1 seek=2000 conv=notrunc status=none
run 1 "$bin" dump "$work/flipped"
has out "(BAD)"
has err "binlogkit: $work/flipped: checksum_mismatch at offset 1074 (Query event, type 2)"
has err "binlogkit dump: 1 file(s), 11444 bytes read, damaged ("

echo "== salvage exits 0 after writing a good copy and says what it cut"
run 0 "$bin" salvage "$work/flipped" "$work/saved"
has out "$work/saved: kept 1032 of 11444 bytes, 3 complete transactions"
has err "binlogkit salvage: wrote $work/saved (1032 bytes, 3 transactions); cut 10412 bytes from $work/flipped (1 damaged range(s))"
run 0 "$bin" verify "$work/saved"
run 2 "$bin" salvage "$work/flipped" "$work/saved"
has err "cannot create (it must not exist yet)"
# A write that fails (here: over the file size limit, EFBIG) leaves no OUT and no
# temporary file behind.
mkdir "$work/small"
run 2 bash -c 'trap "" XFSZ; ulimit -f 1; exec "$@"' _ "$bin" salvage "$work/flipped" "$work/small/saved"
has err "binlogkit: $work/small/saved: write failed (nothing was written to it): File too large"
[[ -z $(ls -A "$work/small") ]] || fail "a failed salvage left $(ls -A "$work/small")"

echo "== dump -j at an offset where no event starts: exit 2 naming the events around it"
run 2 "$bin" dump -j 500 "$file"
has err "binlogkit dump: $file: --start-position 500 is not at an event boundary: the events around it start at 475 and 517"
[[ ! -s $work/out ]] || fail "dump -j 500 printed events"
run 0 "$bin" dump -j 517 "$file"
[[ $(grep '^# at ' "$work/out" | sed -n 2p) == "# at 517" ]] || fail "dump -j 517 does not start at 517"
run 0 "$bin" dump -j 500 --start-at-transaction "$file"
[[ $(grep '^# at ' "$work/out" | sed -n 2p) == "# at 475" ]] || fail "--start-at-transaction does not start at the transaction"

echo "== dump's filters pick the transactions sql's filters pick"
gtids_dump() { "$bin" dump "$@" "$file" 2>/dev/null | sed -nE 's/.*\tgtid=([0-9-]+).*/\1/p' | paste -sd' '; }
gtids_sql() { "$bin" sql "$@" "$file" 2>/dev/null | sed -nE 's/^# GTID ([0-9-]+)$/\1/p' | paste -sd' '; }
same_as_sql() {  # same_as_sql EXPECTED FILTER...: dump keeps EXPECTED, and so does sql
  local ours theirs
  ours=$(TZ=UTC gtids_dump "${@:2}")
  theirs=$(TZ=UTC gtids_sql "${@:2}")
  [[ $ours == "$1" ]] || fail "dump ${*:2}: GTIDs '$ours', expected '$1'"
  [[ $theirs == "$1" ]] || fail "sql ${*:2}: GTIDs '$theirs', expected '$1'"
}
same_as_sql "0-1-9 0-1-10 0-1-11 0-1-12 0-1-13 0-1-14 0-1-15 0-1-16 0-1-17 0-1-18 0-1-19 0-1-20 0-1-21 0-1-22 0-1-23 2-1-1" \
  --start-datetime "2023-11-14 22:14:00"
same_as_sql "0-1-5" --include-gtids 0-1-5,0-1-9 --exclude-gtids 0-1-9
# A range, whose first number counts, and a set of both servers' forms.
same_as_sql "0-1-5 0-1-6 0-1-7" --include-gtids "0-1-5-7, 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9"
same_as_sql "0-1-3 0-1-4 0-1-5" --include-gtids 0-1-3-6 --exclude-gtids 0-1-6-9
# A malformed set: exit 2 and what is wrong with it.
for cmd in dump sql; do
  run 2 "$bin" "$cmd" --include-gtids "3e11fa47-71ca-11e1-9e33-c80aa9429562:1:tag" "$file"
  prefix="binlogkit $cmd:"
  [[ $cmd == sql ]] && prefix="binlogkit:"
  [[ $(cat "$work/err") == "$prefix --include-gtids '3e11fa47-71ca-11e1-9e33-c80aa9429562:1:tag': GTID set: a tag without intervals after it" ]] ||
    fail "$cmd: malformed GTID set: $(cat "$work/err")"
done
# Every event of the file before 2026 is older than the Gtid_list written when the file was
# opened (the test server's clock was set back for the transactions): nothing is printed,
# as sql and mariadb-binlog print nothing.
same_as_sql "" --stop-datetime "2023-11-14 22:14:00"
# The transactions naming `logs` (0-1-2 creates it, 0-1-17 writes logs.audit rows).
[[ $(gtids_dump --database logs) == "0-1-2 0-1-17" ]] || fail "dump --database logs: $(gtids_dump --database logs)"
run 2 "$bin" dump --start-datetime "yesterday" "$file"
has err "binlogkit dump: --start-datetime 'yesterday': "

echo "== typos: a suggestion, the command list"
run 2 "$bin" verfy "$file"
has err "binlogkit: unknown command 'verfy'; did you mean verify?"
has err "  salvage  "
run 2 "$bin" dump --start-postion 4 "$file"
has err "binlogkit dump: unknown option --start-postion; did you mean --start-position?"
run 2 "$bin"
has err "binlogkit: no command given"
for cmd in dump verify triage salvage sql replay; do has err "  $cmd "; done

echo "== connection options as the clients spell them"
run 1 "$bin" replay -h 127.0.0.1 -P "$closed_port" -u bk --no-defaults --progress none "$file"
has err "cannot connect"
lacks out "Usage"
run 1 "$bin" replay -h 127.0.0.1 -P "$closed_port" -u bk -p"$secret" --no-defaults --progress none "$file"
has err "binlogkit: [Warning] Using a password on the command line interface can be insecure."
has err "cannot connect"
run 1 "$bin" replay --host=127.0.0.1 --port="$closed_port" --user=bk --password="$secret" --no-defaults \
  --protocol=tcp --progress none "$file"
has err "cannot connect"
lacks err "$secret"
run 2 "$bin" replay --password="$secret" --bogus "$file"
has err "binlogkit replay: unknown option --bogus"
lacks err "$secret"
run 2 "$bin" replay -p"$secret" --port=notaport "$file"
lacks err "$secret"
run 2 "$bin" dump -p"$secret" "$file"
has err "binlogkit dump: -p/--password: this command does not connect to a server"
lacks err "$secret"
# -p alone asks on the terminal; without one (setsid: no controlling terminal) it is refused.
run 2 setsid -w "$bin" replay -h 127.0.0.1 -P "$closed_port" -u bk -p --no-defaults "$file"
has err "binlogkit replay: -p: no terminal to read the password from"
run 2 "$bin" replay --login-path=prod "$file"
has err "--login-path: MySQL's .mylogin.cnf is not read by MariaDB Connector/C"
run 0 "$bin" replay --help
has out "-h,--host"
lacks out "-h,--help"

echo "== option files read as mariadb --print-defaults reads them"
cnf=$work/a.cnf
cat >"$cnf" <<'CNF'
# comment
; another
[client]
user = bk
password = "se cret" # a comment after the value
port=3307
[server]
port=1
[mysql]
host=db1.example
[client-mariadb]
ssl_ca = '/etc/ca file.pem'
loose-ssl-verify-server-cert
socket=/run/a\sb.sock
[mariadb-client]
connect-timeout=3
!include INCLUDED
CNF
printf '[client]\nuser=included\n' >"$work/inc.cnf"
sed -i "s|INCLUDED|$work/inc.cnf|" "$cnf"
compare_defaults() {  # compare_defaults ARGS...: binlogkit replay and mariadb print the same options
  local theirs ours
  theirs=$(mariadb "$@" --print-defaults) || fail "mariadb $* --print-defaults failed"
  ours=$("$bin" replay "$@" --print-defaults) || fail "binlogkit replay $* --print-defaults failed"
  [[ $(sed -n 1p <<<"$ours") == "binlogkit replay would have been started with the following arguments:" ]] ||
    fail "first line: $ours"
  [[ $(sed 1d <<<"$ours") == "$(sed 1d <<<"$theirs")" ]] || fail "$*: ours: $ours | mariadb: $theirs"
  echo "   $*: $(sed 1d <<<"$ours")"
}
compare_defaults --defaults-file="$cnf"
out=$("$bin" replay --defaults-file="$cnf" --print-defaults | sed 1d)
[[ $out == "--user=bk --password=se cret --port=3307 --host=db1.example --ssl_ca=/etc/ca file.pem --loose-ssl-verify-server-cert --socket=/run/a b.sock --connect-timeout=3 --user=included " ]] ||
  fail "options read: $out"
mkdir -p "$work/home"
printf '[client]\nuser=home\n[mysql]\nport=4000\n' >"$work/home/.my.cnf"
printf '[client]\nuser=extra\npassword=x\n' >"$work/extra.cnf"
HOME=$work/home compare_defaults
HOME=$work/home compare_defaults --defaults-extra-file="$work/extra.cnf"
HOME=$work/home compare_defaults --no-defaults
run 0 "$bin" replay --no-defaults --print-defaults "$file"
[[ $(sed 1d "$work/out") == "" ]] || fail "--no-defaults read options"
run 2 "$bin" replay --defaults-file="$work/missing.cnf" "$file"
has err "binlogkit replay: could not open the required option file $work/missing.cnf"
printf 'user=x\n[client]\n' >"$work/nogroup.cnf"
run 2 "$bin" replay --defaults-file="$work/nogroup.cnf" "$file"
has err "$work/nogroup.cnf:1: an option before any [group]"
printf '[client]\nport=abc\npassword=%s\n' "$secret" >"$work/badport.cnf"
run 2 "$bin" replay --defaults-file="$work/badport.cnf" "$file"
has err "$work/badport.cnf: option 'port' wants a number"
lacks err "$secret"

echo "== progress: only on a terminal or when asked"
for cmd in dump verify triage sql; do
  run 0 "$bin" "$cmd" "$file"
  ! grep -q $'\r' "$work/err" || fail "$cmd drew progress on a file"
  run 0 "$bin" "$cmd" --progress tty "$file"
  grep -q $'\r'"$cmd " "$work/err" || fail "$cmd --progress tty drew no progress"
done
# auto: on a terminal (script(1) makes one) for an input of 16 MiB or more, not otherwise.
cp "$file" "$work/big"
head -c $((17 << 20)) /dev/zero >>"$work/big"
run 1 "$bin" verify "$work/big"
! grep -q $'\r' "$work/err" || fail "verify drew progress on a file"
if command -v script >/dev/null 2>&1; then
  run 1 script -qec "$(printf '%q ' "$bin" verify "$work/big")" /dev/null
  grep -q $'\r'"verify " "$work/out" || fail "verify drew no progress on a terminal"
  run 0 script -qec "$(printf '%q ' "$bin" verify "$file")" /dev/null
  ! grep -q $'\r'"verify " "$work/out" || fail "verify drew progress for a small input"
else
  echo "script(1) not found: progress on a terminal not checked"
fi
run 0 "$bin" salvage --progress tty "$work/flipped" "$work/saved2"
grep -q $'\r'"salvage " "$work/err" || fail "salvage --progress tty drew no progress"
((failures == 0)) || { echo "habits: $failures checks failed" >&2; exit 1; }
echo "habits: ok"
