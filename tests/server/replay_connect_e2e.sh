#!/usr/bin/env bash
# `binlogkit replay`'s connection options against a real MariaDB that accepts TCP clients
# only over TLS (require_secure_transport=ON):
#  1. the password from the [client] group of --defaults-file (never on the command line),
#     TLS verified against our own CA (--ssl-mode VERIFY_CA --ssl-ca): the replay applies
#     testdata/mariadb-10.11/nochecksum.000001 and its progress row names the file's end;
#  2. the same binlog applied by `mariadb-binlog | mariadb` after dropping what the replay
#     made gives the same CHECKSUM TABLE (the peer is the oracle);
#  3. refused: without TLS (--ssl-mode DISABLED), with a wrong password, and with a CA
#     that did not sign the server's certificate; each exits non-zero and applies nothing;
#  4. the password typed at --password-prompt on a terminal (script(1)), not echoed.
#
# Usage: tests/server/replay_connect_e2e.sh [BINLOGKIT]
set -euo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
root=$(cd -- "$here/../.." && pwd -P)
bin=${1:-$root/build/binlogkit}
sandbox=$root/scripts/mariadb-sandbox
binlog=$root/testdata/mariadb-10.11/nochecksum.000001

test_name=replay_connect_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "binlogkit binary not found: $bin"
need_tools openssl mariadbd mariadb mariadb-binlog

make_work bk-connect

q() { "$sandbox" sql "$work/t" --batch --skip-column-names -e "$1"; }

step "a CA and a server certificate for 127.0.0.1"
tls=$work/tls
mkdir -p "$tls"
make_ca() { # make_ca NAME
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=binlogkit test CA $1" \
    -keyout "$tls/$1.key" -out "$tls/$1.pem" 2>/dev/null || fail "openssl: CA $1"
}
make_ca ca
make_ca other
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server.key" \
  -out "$tls/server.csr" 2>/dev/null || fail "openssl: server request"
printf 'subjectAltName=IP:127.0.0.1\n' >"$tls/san.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
  -days 2 -extfile "$tls/san.ext" -out "$tls/server.pem" 2>/dev/null || fail "openssl: server certificate"

step "start a target that takes TCP clients only over TLS"
port=$("$sandbox" start "$work/t" --server-id 7 -- --ssl-ca="$tls/ca.pem" --ssl-cert="$tls/server.pem" \
  --ssl-key="$tls/server.key" --require-secure-transport=ON) || fail "could not start the target"
[[ $(q "SELECT @@require_secure_transport") == 1 ]] || fail "require_secure_transport is not on"

good=$work/good.cnf
printf '[client]\nuser=bk\npassword=bk\n' >"$good"
bad=$work/bad.cnf
printf '[client]\nuser=bk\npassword=not-the-password\n' >"$bad"
replay() { # replay DEFAULTS-FILE ARGS...
  local f=$1
  shift
  env -u MYSQL_PWD "$bin" replay --defaults-file "$f" --host 127.0.0.1 --port "$port" --progress=none \
    --replay-id connect "$@" "$binlog"
}
nothing_applied() {
  [[ -z $(q "SHOW DATABASES LIKE 'db1'") ]] || fail "$1: db1 exists, something was applied"
}

step "refused without TLS, with a wrong password, with the wrong CA"
rc=0; replay "$good" --ssl-mode DISABLED >"$work/out" 2>&1 || rc=$?
cat "$work/out"
((rc != 0)) || fail "a plain-text connection was accepted"
nothing_applied "without TLS"
rc=0; replay "$bad" --ssl-mode VERIFY_CA --ssl-ca "$tls/ca.pem" >"$work/out" 2>&1 || rc=$?
cat "$work/out"
((rc != 0)) || fail "a wrong password was accepted"
grep -qi "denied" "$work/out" || fail "the wrong password's error does not say access was denied"
nothing_applied "wrong password"
rc=0; replay "$good" --ssl-mode VERIFY_CA --ssl-ca "$tls/other.pem" >"$work/out" 2>&1 || rc=$?
cat "$work/out"
((rc != 0)) || fail "a server certificate from another CA was accepted"
nothing_applied "wrong CA"

step "replay with the password from --defaults-file over verified TLS"
replay "$good" --ssl-mode VERIFY_CA --ssl-ca "$tls/ca.pem" || fail "the replay failed"
# The file ends with the server's Stop event: the last transaction ends where it begins
# (mariadb-binlog's last "# at").
mkdir -p "$work/mb-load"  # where mariadb-binlog writes LOAD DATA files (else TMPDIR)
stop_at=$(mariadb-binlog --local-load="$work/mb-load" "$binlog" | awk '/^# at /{at=$3} END{print at}')
[[ $stop_at =~ ^[0-9]+$ ]] || fail "no '# at' line from mariadb-binlog"
progress=$(q "SELECT file, end_pos FROM binlogkit.replay_progress WHERE replay_id = 'connect'" | tr '\t' ' ')
[[ ${progress##* } == "$stop_at" && ${progress%% *} == *nochecksum.000001 ]] ||
  fail "progress row is '$progress', expected nochecksum.000001 at $stop_at (the Stop event)"
mine=$(q "CHECKSUM TABLE db1.t" | cut -f2)
rows=$(q "SELECT COUNT(*) FROM db1.t")
echo "db1.t after binlogkit replay: $rows rows, checksum $mine"
((rows > 0)) || fail "db1.t is empty after the replay"

step "the same binlog through mariadb-binlog | mariadb gives the same table"
q "DROP DATABASE db1"
mariadb-binlog --local-load="$work/mb-load" "$binlog" | "$sandbox" sql "$work/t" --binary-mode || fail "mariadb-binlog | mariadb failed"
theirs=$(q "CHECKSUM TABLE db1.t" | cut -f2)
[[ $mine == "$theirs" ]] || fail "checksum after binlogkit replay $mine, after mariadb-binlog | mariadb $theirs"

step "the password typed at --password-prompt (a terminal made by script(1))"
if command -v script >/dev/null 2>&1; then
  q "DROP DATABASE db1"
  cmd=$(printf '%q ' env -u MYSQL_PWD "$bin" replay --no-defaults --user bk --password-prompt --host 127.0.0.1 \
    --port "$port" --ssl-mode VERIFY_CA --ssl-ca "$tls/ca.pem" --progress=none --replay-id prompt "$binlog")
  # The prompt drops what was typed before it: type once it shows (a fixed pause was too
  # short on a loaded machine), and keep the terminal's input open until the replay ends.
  rc=0
  mkfifo "$work/typed"
  timeout 60 script -qec "$cmd" /dev/null <"$work/typed" >"$work/out" 2>&1 &
  typist=$!
  exec 4>"$work/typed"
  for _ in $(seq 1 600); do
    grep -q "Enter password: " "$work/out" && break
    kill -0 "$typist" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$typist" 2>/dev/null; then printf 'bk\n' >&4; fi
  wait "$typist" || rc=$?
  exec 4>&-
  cat "$work/out"
  ((rc == 0)) || fail "replay with --password-prompt exit $rc"
  grep -q "Enter password: " "$work/out" || fail "no password prompt on the terminal"
  grep -q "Enter password: bk" "$work/out" && fail "the typed password was echoed"
  prompted=$(q "CHECKSUM TABLE db1.t" | cut -f2)
  [[ $prompted == "$mine" ]] || fail "checksum after the prompted replay $prompted, expected $mine"
else
  echo "script(1) not found: --password-prompt not checked"
fi

echo "replay_connect_e2e: OK"
