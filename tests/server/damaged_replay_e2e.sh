#!/usr/bin/env bash
# `binlogkit replay` of damaged binlogs and of every input form, into a real MariaDB.
#
#  1. A closed binlog cut inside an event (the GTID event at 5976 of the test binlog
#     mixed.000001): exit 1, the error names the file and offset, stderr says what this run
#     applied, and the target's progress row holds exactly the 9 transactions before the
#     cut (nothing past the damage applied).
#  2. The same binlog with event_length 0xFFFFFFFF in its Table_map event at 6764: exit 1,
#     11 transactions applied, the one holding the damaged event not.
#  3. The cut file flagged in use (a server that crashed while writing it): exit 0, a
#     warning naming the offset and what was left out, 9 transactions applied.
#  1 and 3 again with --parallel 4.
#  4. The same two binlogs (mixed.000001, mixed.000002) as files, an index file, a
#     directory, standard input (one file), a .gz and a FIFO: each replay into a cleaned
#     target exits 0 and leaves every table with the checksums of the replay of the
#     plain files.
# Exit 0 on success. The server is always stopped and the directory removed
# (KEEP_WORK=1 keeps it).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}
td=$root/testdata/mariadb-10.11

test_name=damaged_replay_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "binlogkit binary not found or not executable: $bin"
need_tools mariadbd mariadb-install-db mariadb mariadb-admin python3 gzip timeout

export TZ=UTC
make_work bk-damaged
b=$work/b
writer=""
cleanup_hook() { if [[ -n $writer ]]; then kill "$writer" 2>/dev/null || true; fi; }

q() { "$sandbox" sql "$b" --batch --skip-column-names -e "$1"; }
checksums() { "$root/scripts/replication-pair" checksums "$b" | grep -v '^binlogkit\.' || true; }
clean_target() {
  q "DROP DATABASE IF EXISTS shop; DROP DATABASE IF EXISTS logs; DROP DATABASE IF EXISTS binlogkit" >/dev/null
}
# replay ARGS...: into B, stdout and stderr in $work/out and $work/err, exit code in $rc.
replay() {
  set +e
  timeout 300 "$bin" replay "$@" --no-defaults --socket "$b_sock" --user root --progress=none \
    >"$work/out" 2>"$work/err"
  rc=$?
  set -e
}
# progress ID: "transactions file position" of the replay's progress row.
progress() { q "SELECT transactions, file, end_pos FROM binlogkit.replay_progress WHERE replay_id = '$1'"; }
# err_is TEXT: stderr is exactly TEXT, leaving out the closing summary line
# ("binlogkit replay: ..., N.NN s", checked by the CLI tests).
err_is() {
  local got
  got=$(grep -Ev '^binlogkit (sql|replay): .*, [0-9]+\.[0-9]{2} s$' "$work/err" || true)
  [[ $got == "$1" ]] ||
    { printf 'stderr:\n%s\nexpected:\n%s\n' "$got" "$1"; fail "message differs"; }
}

step "damaged copies of the test binlog"
python3 - "$td/mixed.000001" "$work" <<'EOF'
import struct, sys
src, work = sys.argv[1], sys.argv[2]
d = bytearray(open(src, 'rb').read())
open(f'{work}/cut.000001', 'wb').write(d[:6000])
inuse = bytearray(d[:6000])
inuse[4 + 17] |= 1  # LOG_EVENT_BINLOG_IN_USE_F (outside the format description's CRC)
open(f'{work}/inuse.000001', 'wb').write(inuse)
ff = bytearray(d)
assert ff[6764 + 4] == 19  # a Table_map event
struct.pack_into('<I', ff, 6764 + 9, 0xFFFFFFFF)
open(f'{work}/ffff.000001', 'wb').write(ff)
EOF

step "server B"
"$sandbox" start "$b" --server-id 2 >/dev/null
# shellcheck disable=SC1091
b_sock=$(source "$b/env" && echo "$SANDBOX_SOCKET")

step "a closed binlog cut inside an event"
clean_target
replay "$work/cut.000001" --replay-id cut
[[ $rc == 1 ]] || { cat "$work/err"; fail "replay of the cut binlog exited $rc, expected 1"; }
err_is "binlogkit: replay stopped: truncated at offset 5976 (Gtid event, type 162): the event runs past the end of the file, which is not flagged in use: a closed binlog cut short, or a damaged event length (damage, not an unfinished write)
  at:        $work/cut.000001:5976
binlogkit: applied by this run: 9 transactions, the last ending at cut.000001:5976 (GTID 0-1-9)"
[[ $(progress cut) == $'9\tcut.000001\t5976' ]] || fail "progress row after the cut binlog: $(progress cut)"

step "the cut binlog with --parallel 4"
clean_target
replay "$work/cut.000001" --replay-id cutpar --parallel 4
[[ $rc == 1 ]] || { cat "$work/err"; fail "parallel replay of the cut binlog exited $rc, expected 1"; }
grep -q "^binlogkit: replay stopped: truncated at offset 5976 (Gtid event, type 162)" "$work/err" ||
  { cat "$work/err"; fail "parallel: the damage is not named"; }
n=$(q "SELECT MAX(transactions) FROM binlogkit.replay_progress WHERE replay_id = 'cutpar' OR replay_id LIKE 'cutpar#%'")
[[ $n == 9 ]] || fail "parallel: the progress rows say $n transactions, expected 9"

step "event_length 0xFFFFFFFF in the middle"
clean_target
replay "$work/ffff.000001" --replay-id ffff
[[ $rc == 1 ]] || { cat "$work/err"; fail "replay of the 0xFFFFFFFF binlog exited $rc, expected 1"; }
grep -q "^binlogkit: replay stopped: truncated at offset 6764 (Table_map event, type 19)" "$work/err" ||
  { cat "$work/err"; fail "the damaged event is not named"; }
grep -qx "binlogkit: applied by this run: 11 transactions, the last ending at ffff.000001:6665 (GTID 0-1-11)" \
  "$work/err" || { cat "$work/err"; fail "what was applied is not said"; }
[[ $(progress ffff) == $'11\tffff.000001\t6665' ]] || fail "progress row after the 0xFFFFFFFF binlog: $(progress ffff)"

step "the last file flagged in use, torn"
clean_target
replay "$work/inuse.000001" --replay-id inuse
[[ $rc == 0 ]] || { cat "$work/err"; fail "replay of the in-use torn binlog exited $rc, expected 0"; }
err_is "binlogkit: warning: $work/inuse.000001:5976: the file is flagged in use and ends inside the event at 5976 (an unfinished write, or a server that crashed): the last 24 bytes (from offset 5976) are not applied"
[[ $(progress inuse) == $'9\tinuse.000001\t5976' ]] || fail "progress row after the in-use binlog: $(progress inuse)"
clean_target
replay "$work/inuse.000001" --replay-id inusepar --parallel 4
[[ $rc == 0 ]] || { cat "$work/err"; fail "parallel replay of the in-use torn binlog exited $rc, expected 0"; }
err_is "binlogkit: warning: $work/inuse.000001:5976: the file is flagged in use and ends inside the event at 5976 (an unfinished write, or a server that crashed): the last 24 bytes (from offset 5976) are not applied"

step "every input form"
mkdir "$work/dir"
cp "$td/mixed.000001" "$td/mixed.000002" "$work/dir/"
printf 'mixed.000001\nmixed.000002\n' >"$work/dir/set.index"
gzip -c "$td/mixed.000001" >"$work/one.000001.gz"
mkfifo "$work/fifo"
form() { # NAME ARGS...: replays into a clean target, prints the checksums
  local name=$1; shift
  clean_target
  replay "$@" --replay-id "$name"
  [[ $rc == 0 ]] || { cat "$work/err"; fail "replay of the $name form exited $rc"; }
  checksums >"$work/sums.$name"
  [[ -s $work/sums.$name ]] || fail "no checksums after the $name form"
}
form files "$work/dir/mixed.000001" "$work/dir/mixed.000002"
form index "$work/dir/set.index"
form dir "$work/dir"
cmp -s "$work/sums.files" "$work/sums.index" || fail "the index file replayed differently from the files"
cmp -s "$work/sums.files" "$work/sums.dir" || fail "the directory replayed differently from the files"
form one "$td/mixed.000001"
form stdin - <"$td/mixed.000001"
form gz "$work/one.000001.gz"
cat "$td/mixed.000001" >"$work/fifo" &
writer=$!
form fifo "$work/fifo"
wait "$writer" || fail "the FIFO's writer failed"
writer=""
for f in stdin gz fifo; do
  cmp -s "$work/sums.one" "$work/sums.$f" || fail "the $f form replayed differently from the file"
done
[[ $(progress fifo) == $'24\tfifo\t11401' ]] || fail "progress row after the FIFO: $(progress fifo)"

echo "$test_name: OK"
