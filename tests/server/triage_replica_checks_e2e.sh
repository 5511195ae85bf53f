#!/usr/bin/env bash
# `binlogkit triage --replica` without files on a real MariaDB replica: it triages the
# relay logs the replica reports only when they are this replica's, and says what it
# cannot read of a multi-source replica.
#
# Usage: tests/server/triage_replica_checks_e2e.sh [BINLOGKIT]
#
# All in a temporary directory on 127.0.0.1 (scripts/replication-pair and a second
# source from scripts/mariadb-sandbox):
#  1. The pair replicates the standard workload; STOP SLAVE. triage --replica finds the
#     relay-log index and exits 0.
#  2. The replica's current relay log is made to look written by another server (the
#     server id of its first event, its format description, set to 3): what another
#     replica's files at the same path look like. triage --replica must refuse (exit 2)
#     with the path, both server ids and no report on stdout. The byte is restored.
#  3. A named connection 'x' to a second source (domain 7) is added: the report carries
#     the note that the plan's gtid_slave_pos sets its domains too.
#  4. The default connection is removed (RESET SLAVE ALL): triage --replica must say the
#     default connection is not configured and that one named connection exists (exit 2).
# Exit 0 on success, non-zero with a message naming the failed step.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
pair=$root/scripts/replication-pair
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}

test_name=triage_replica_checks_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"
[[ -x $bin ]] || fail "binlogkit binary not found or not executable: $bin"
need_tools mariadbd mariadb-install-db mariadb mariadb-admin od dd jq

make_work bk-triage-replica
rep=$work/replica
cleanup_hook() {
  "$pair" stop "$work" >/dev/null 2>&1 || true
  "$sandbox" stop "$work/src2" >/dev/null 2>&1 || true
}

# triage_replica: triage --replica over the replica's socket; exit code in $got.
triage_replica() {
  set +e
  "$bin" triage --replica -S "$rep/mysqld.sock" -u root "$@" >"$work/out" 2>"$work/err"
  got=$?
  set -e
}

step "start the pair and replicate the workload"
"$pair" start "$work" >/dev/null
"$pair" workload "$work" >/dev/null
"$pair" wait-caught-up "$work" >/dev/null
q "$rep" "STOP SLAVE"
relay_index=$rep/relay/relay-bin.index
current=$rep/relay/$(slave_status_field "$rep" Relay_Log_File)
[[ -s $current ]] || fail "the current relay log $current is missing or empty"

step "triage --replica finds the replica's relay logs"
triage_replica
[[ $got == 0 ]] || { cat "$work/err"; fail "exited $got, expected 0"; }
grep -qF "binlogkit: --replica: triaging the replica's relay logs listed in $relay_index (" "$work/err" ||
  { cat "$work/err"; fail "no line naming the index"; }

step "another server's relay log at the replica's path is refused"
cp -- "$current" "$work/current.orig"
[[ $(u32 "$current" 9) == 2 ]] || fail "the current relay log's first event is not server id 2's"
printf '\x03' | dd of="$current" bs=1 seek=9 conv=notrunc status=none
triage_replica
cp -- "$work/current.orig" "$current"
[[ $got == 2 ]] || { cat "$work/err"; fail "exited $got, expected 2"; }
[[ ! -s $work/out ]] || fail "a report was printed for another server's relay logs"
grep -qxF "binlogkit: --replica: $relay_index: $current begins with a format description of server id 3, the replica is server id 2: these are not this replica's relay logs (is the server on another host?)" \
  "$work/err" || { cat "$work/err"; fail "the refusal does not name the file and both server ids"; }

step "a named connection: the note on gtid_slave_pos"
"$sandbox" start "$work/src2" --server-id 7 -- --gtid-domain-id=7 >/dev/null
src2_port=$(sed -n 's/^SANDBOX_PORT=//p' "$work/src2/env")
[[ -n $src2_port ]] || fail "no port for the second source"
q "$rep" "CHANGE MASTER 'x' TO MASTER_HOST='127.0.0.1', MASTER_PORT=$src2_port, MASTER_USER='bk', MASTER_PASSWORD='bk', MASTER_USE_GTID=slave_pos"
triage_replica --json
[[ $got == 0 ]] || { cat "$work/err"; fail "exited $got, expected 0"; }
jq -e '.notes | any(startswith("the replica also replicates over named connection(s) '"'x'"': @@gtid_slave_pos holds their domains too"))' \
  "$work/out" >/dev/null || { jq '.notes' "$work/out"; fail "no note on the named connection"; }

step "only a named connection: --replica says so"
q "$rep" "RESET SLAVE ALL"
triage_replica
[[ $got == 2 ]] || { cat "$work/err"; fail "exited $got, expected 2"; }
grep -qxF "binlogkit: --replica: the replica's default connection is not configured (SHOW SLAVE STATUS is empty); it replicates over named connection(s) (1 of them, SHOW ALL SLAVES STATUS), which --replica does not read: give that connection's relay logs and --executed-gtids" \
  "$work/err" || { cat "$work/err"; fail "the message does not name the named connection"; }

echo "$test_name: OK"
