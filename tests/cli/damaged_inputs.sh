#!/usr/bin/env bash
# Damaged and unusual inputs, through every command: exact exit codes and messages.
#
#  - a closed binlog cut inside an event, or with event_length 0xFFFFFFFF in the middle:
#    sql exits 1 and says where, and where the SQL it wrote ends;
#  - the same cut in a file flagged in use: sql exits 0 with a warning naming what was
#    left out;
#  - a truncated or corrupt .gz, an empty file, a missing path, a text file: exit 2 and
#    "binlogkit: PATH: what" for dump, verify, triage, salvage, sql and replay (replay
#    reads its inputs before it connects);
#  - every command reads a file, an index file, a directory, standard input, a .gz and a
#    FIFO (under `timeout`: a hang fails);
#  - a mapped input truncated while dump or sql reads it: exit 2 and the file and offset,
#    never a signal;
#  - dump prints a table name holding a newline on one line;
#  - salvage to a full file system leaves no OUT (and no temporary file).
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
td=$root/testdata/mariadb-10.11
work=$(mktemp -d)
mnt=""
writer=""
cleanup() {
  [[ -n $writer ]] && kill "$writer" 2>/dev/null
  [[ -n $mnt ]] && umount "$mnt" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# expect CODE command...: runs it (stdin from $stdin_file when set), stdout in $work/out,
# stderr in $work/err; fails on another exit code (a hang is 124 from timeout).
stdin_file=/dev/null
expect() {
  local want=$1; shift
  set +e; "$@" <"$stdin_file" >"$work/out" 2>"$work/err"; local got=$?; set -e
  [[ $got == "$want" ]] || { head -c 2000 "$work/err"; fail "$* exited $got, expected $want"; }
}
# err_is TEXT: stderr is exactly TEXT (one or more lines), leaving out the command's closing
# summary line ("binlogkit CMD: ..., N.NN s", checked by habits.sh).
err_is() {
  local got
  got=$(grep -Ev '^binlogkit (dump|verify|triage|salvage|sql|replay): .*, [0-9]+\.[0-9]{2} s$' "$work/err" || true)
  [[ $got == "$1" ]] || { printf 'stderr:\n%s\nexpected:\n%s\n' "$got" "$1"; fail "message differs"; }
}
# Every run is bounded: a command that hangs (on a FIFO) fails with 124.
bk() { timeout 60 "$bin" "$@"; }
commands=(dump verify triage salvage sql replay)
# run_cmd CMD INPUT: the command on one input (salvage writes a new OUT each time;
# replay with a socket that does not exist: inputs are read before it connects).
run_cmd() {
  case $1 in
    salvage) rm -f "$work/salvaged"; bk salvage "$2" "$work/salvaged" ;;
    replay) bk replay "$2" --no-defaults --socket "$work/no-server.sock" --user root ;;
    *) bk "$1" "$2" ;;
  esac
}

# ---- the damaged files -----------------------------------------------------------------
python3 - "$td/mixed.000001" "$work" <<'EOF'
import struct, sys, zlib
src, work = sys.argv[1], sys.argv[2]
d = bytearray(open(src, 'rb').read())
offs, pos = [], 4
while pos < len(d):
    offs.append(pos)
    pos += struct.unpack_from('<I', d, pos + 9)[0]
# Cut inside an event: 6000 bytes (the GTID event at 5976 is cut).
open(f'{work}/cut.000001', 'wb').write(d[:6000])
inuse = bytearray(d[:6000])
inuse[4 + 17] |= 1  # LOG_EVENT_BINLOG_IN_USE_F in the format description (outside its CRC)
open(f'{work}/inuse.000001', 'wb').write(inuse)
# event_length 0xFFFFFFFF in the middle: the Table_map event at 6764.
ff = bytearray(d)
assert 6764 in offs and ff[6764 + 4] == 19
struct.pack_into('<I', ff, 6764 + 9, 0xFFFFFFFF)
open(f'{work}/ffff.000001', 'wb').write(ff)
# Cut at the event boundary before that Table_map: inside the transaction at 6665.
open(f'{work}/boundary.000001', 'wb').write(d[:6764])
# A table name with a newline: the first Table_map of `customers`, same length, CRC fixed.
nl = bytearray(d)
at = nl.index(b'\x09customers\x00')
nl[at + 1:at + 10] = b'\nSELECT 7'
ev = max(o for o in offs if o < at)
size = struct.unpack_from('<I', nl, ev + 9)[0]
struct.pack_into('<I', nl, ev + size - 4, zlib.crc32(bytes(nl[ev:ev + size - 4])) & 0xffffffff)
open(f'{work}/newline.000001', 'wb').write(nl)
# The same with the row event after that Table_map damaged: triage names its table.
nl[ev + size + 25] ^= 0x55
open(f'{work}/newline-damaged.000001', 'wb').write(nl)
EOF
gzip -c "$td/mixed.000001" >"$work/good.000001.gz"
size=$(stat -c %s "$work/good.000001.gz")
head -c $((size - 100)) "$work/good.000001.gz" >"$work/truncated.000001.gz"
cp "$work/good.000001.gz" "$work/corrupt.000001.gz"
printf '\x55\x55\x55\x55' | dd of="$work/corrupt.000001.gz" bs=1 seek=$((size - 8)) conv=notrunc status=none
: >"$work/empty.000001"
printf 'not a binlog at all\n' >"$work/text.000001"

# ---- item 2: partial applies -----------------------------------------------------------
w=$work
expect 1 bk sql "$w/cut.000001"
err_is "binlogkit: $w/cut.000001: truncated at offset 5976 (Gtid event, type 162): the event runs past the end of the file, which is not flagged in use: a closed binlog cut short, or a damaged event length (damage, not an unfinished write)
binlogkit: the SQL written ends with the transaction that ends at $w/cut.000001:5976 (GTID 0-1-9); nothing after it is written"
[[ $(grep -c '^# at ' "$work/out") == 9 ]] || fail "sql of the cut file: not the 9 transactions before the cut"

expect 1 bk sql "$w/ffff.000001"
err_is "binlogkit: $w/ffff.000001: truncated at offset 6764 (Table_map event, type 19): the event runs past the end of the file, which is not flagged in use: a closed binlog cut short, or a damaged event length (damage, not an unfinished write)
binlogkit: the SQL written ends with the transaction that ends at $w/ffff.000001:6665 (GTID 0-1-11); nothing after it is written"
grep -q 'GTID 0-1-12' "$work/out" && fail "sql wrote the transaction with the damaged event"

# The cut file before a good one is damage too (not the last file).
expect 1 bk sql "$w/inuse.000001" "$td/mixed.000002"
grep -q "^binlogkit: $w/inuse.000001: truncated at offset 5976 " "$work/err" || fail "a torn file before the last is not damage"

expect 0 bk sql "$w/inuse.000001"
err_is "binlogkit: warning: $w/inuse.000001:5976: the file is flagged in use and ends inside the event at 5976 (an unfinished write, or a server that crashed): the last 24 bytes (from offset 5976) are not applied"
[[ $(grep -c '^# at ' "$work/out") == 9 ]] || fail "sql of the in-use file: not the 9 complete transactions"

expect 0 bk sql "$w/boundary.000001"
err_is "binlogkit: warning: $w/boundary.000001:6665: the input ends inside a transaction that starts at 6665: it is not applied"
[[ $(grep -c '^# at ' "$work/out") == 11 ]] || fail "sql of the file cut at a boundary: not the 11 complete transactions"

# ---- unreadable inputs: the same exit code and message from every command ---------------
for cmd in "${commands[@]}"; do
  expect 2 run_cmd "$cmd" "$w/truncated.000001.gz"
  err_is "binlogkit: $w/truncated.000001.gz: gzip stream is truncated (it ends before its end marker) (detected at compressed byte $((size - 100)))"
  expect 2 run_cmd "$cmd" "$w/corrupt.000001.gz"
  err_is "binlogkit: $w/corrupt.000001.gz: gzip stream is corrupt (detected at compressed byte $((size - 4)))"
  expect 2 run_cmd "$cmd" "$w/empty.000001"
  err_is "binlogkit: $w/empty.000001: empty file"
  expect 2 run_cmd "$cmd" "$w/missing.000001"
  err_is "binlogkit: $w/missing.000001: no such file or directory"
  expect 2 run_cmd "$cmd" "$w/text.000001"
  err_is "binlogkit: $w/text.000001: not a binlog: it does not start with the magic fe 62 69 6e"
  stdin_file=$w/empty.000001
  expect 2 run_cmd "$cmd" -
  err_is "binlogkit: -: empty file"
  stdin_file=/dev/null
done
[[ ! -e $work/salvaged ]] || fail "salvage wrote OUT from an unreadable input"
# verify --json: an unusable input is a line of its own, and the others are verified
expect 2 bk verify --json "$w/missing.000001" "$td/minimal.index"
[[ $(head -1 "$work/out") == "{\"file\":\"$w/missing.000001\",\"status\":\"unreadable\",\"error\":\"$w/missing.000001: no such file or directory\"}" ]] ||
  { cat "$work/out"; fail "verify --json: no unreadable line for a missing path"; }
grep -q '"file":"'"$td"'/minimal.000001","status":"intact"' "$work/out" || fail "verify --json: the index was not verified"

# A file that cannot be read (as root: run as nobody, when the binary can be run so).
cp "$td/mixed.000001" "$work/noperm.000001"
chmod 000 "$work/noperm.000001"
chmod 755 "$work"
as_user=()
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null &&
  setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" --version >/dev/null 2>&1; then
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
if [[ $(id -u) != 0 || ${#as_user[@]} -gt 0 ]]; then
  for cmd in dump verify triage sql replay salvage; do
    args=("$cmd" "$w/noperm.000001")
    [[ $cmd == replay ]] && args+=(--no-defaults --socket "$work/no-server.sock" --user root)
    [[ $cmd == salvage ]] && args+=("$work/salvaged")
    expect 2 "${as_user[@]}" timeout 60 "$bin" "${args[@]}"
    err_is "binlogkit: $w/noperm.000001: cannot open file: Permission denied"
  done
else
  echo "damaged_inputs: skipped the unreadable file (root, and no setpriv to drop privileges)"
fi

# ---- every input form, every command (replay's in tests/server/damaged_replay_e2e.sh) -----
mkdir "$work/dir"
cp "$td/mixed.000001" "$td/mixed.000002" "$work/dir/"
printf 'mixed.000001\nmixed.000002\n' >"$work/dir/set.index"
gzip -c "$td/mixed.000001" >"$work/one.000001.gz"
mkfifo "$work/fifo"
for cmd in dump verify triage sql salvage; do
  # What each form gives, with the input's name in the output made "F" (salvage: the copy).
  result() {
    if [[ $cmd == salvage ]]; then md5sum <"$work/salvaged"; return; fi
    if [[ $1 == - ]]; then sed -e "s|^-:|F:|; s|: - at |: F at |; s|source -:|source F:|g" "$work/out"; return; fi
    # A binlog's source coordinates name it without the .gz of a compressed copy.
    local base=${1##*/} src=${1##*/}
    src=${src%.gz}
    sed -e "s|$1|F|g; s|source $src:|source F:|g; s|'$src'|'F'|g; s|: $base at |: F at |g" "$work/out"
  }
  expect 0 run_cmd "$cmd" "$td/mixed.000001"
  want=$(result "$td/mixed.000001")
  [[ -n $want ]] || fail "$cmd printed nothing"
  stdin_file=$td/mixed.000001
  expect 0 run_cmd "$cmd" -
  stdin_file=/dev/null
  [[ $(result -) == "$want" ]] || fail "$cmd of standard input differs from the file's"
  expect 0 run_cmd "$cmd" "$work/one.000001.gz"
  [[ $(result "$work/one.000001.gz") == "$want" ]] || fail "$cmd of a .gz differs from the file's"
  cat "$td/mixed.000001" >"$work/fifo" &
  writer=$!
  expect 0 run_cmd "$cmd" "$work/fifo"
  wait "$writer" || fail "the FIFO's writer failed: $cmd did not read the FIFO to its end"
  writer=""
  [[ $(result "$work/fifo") == "$want" ]] || fail "$cmd of a FIFO differs from the file's"
  [[ $cmd == salvage ]] && continue  # one file only
  expect 0 bk "$cmd" "$work/dir"
  want=$(cat "$work/out")
  [[ -n $want ]] || fail "$cmd of a directory printed nothing"
  expect 0 bk "$cmd" "$work/dir/set.index"
  [[ $(cat "$work/out") == "$want" ]] || fail "$cmd of an index file differs from the directory's"
done
# salvage of a set: one file only
expect 2 bk salvage "$work/dir" "$work/salvaged"
err_is "binlogkit: salvage takes one binlog or relay-log file"
# An undamaged binlog ends with a ROTATE after its last transaction: the copy leaves it out,
# and the summary says so instead of "copied whole".
rm -f "$work/salvaged"
expect 0 bk salvage "$td/mixed.000001" "$work/salvaged"
grep -Eq "^binlogkit salvage: $td/mixed.000001 had no damage: wrote $work/salvaged \(11401 bytes, 24 transactions\); left out the 43 bytes after its last complete transaction, [0-9]+\.[0-9]{2} s\$" "$work/err" ||
  { cat "$work/err"; fail "salvage of an undamaged binlog: the summary does not say what was left out"; }
rm -f "$work/salvaged"

# OUT "-" is not standard output (a file named "-" appeared in the working directory).
(cd "$work" && expect 2 bk salvage "$td/mixed.000001" -)
err_is "binlogkit salvage: OUT is a new file, not standard output (./- for a file named -)"
[[ ! -e $work/- ]] || fail "salvage wrote a file named -"

# An index naming a binlog that is not there (purged, moved, a path the server wrote
# relative to another directory) names that file, for every command; it is no "not a
# binlog". triage reads it as a lost file of the set: damage, with the resume point
# before it.
printf 'mixed.000001\nmixed.000009\n' >"$work/dir/gone.index"
for cmd in dump verify sql salvage; do
  expect 2 run_cmd "$cmd" "$work/dir/gone.index"
  err_is "binlogkit: $work/dir/mixed.000009: cannot open file: No such file or directory"
done
expect 1 run_cmd triage "$work/dir/gone.index"
grep -q "mixed.000009" "$work/out" || { cat "$work/out"; fail "triage does not name the lost mixed.000009"; }
grep -q "resume at source mixed.000001:11401" "$work/err" || { cat "$work/err"; fail "triage does not resume at the end of mixed.000001"; }
rm "$work/dir/gone.index"

# A start position past the end of the first file (a digit too many) names no event of
# it: exit 2, not every transaction of the file skipped with exit 0.
for cmd in dump sql; do
  expect 2 bk "$cmd" --start-position 114440 "$td/mixed.000001" "$td/mixed.000002"
  prefix=binlogkit
  [[ $cmd == dump ]] && prefix="binlogkit dump"
  err_is "$prefix: $td/mixed.000001: --start-position 114440 is past the end of the file (11444 bytes)"
done

# ---- item 4: a mapped input truncated while read ----------------------------------------
python3 - "$td/mixed.000001" "$work/big.000001" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
pos, offs = 4, []
while pos < len(d):
    offs.append(pos)
    pos += struct.unpack_from('<I', d, pos + 9)[0]
head_end = offs[3]            # format description, GTID list, binlog checkpoint
body = d[head_end:offs[-1]]   # every transaction, without the closing rotate
with open(sys.argv[2], 'wb') as f:
    f.write(d[:head_end])
    for _ in range(40 * 1024 * 1024 // len(body)):
        f.write(body)
EOF
for cmd in dump sql; do
  cp "$work/big.000001" "$work/shrink.000001"
  # The reader of the output reads 4 MiB, truncates the input far behind where the
  # command has read to, then drains: the command then reads pages that are gone.
  set +e
  "$bin" "$cmd" "$work/shrink.000001" 2>"$work/err" |
    { head -c 4194304 >/dev/null; truncate -s 1000000 "$work/shrink.000001"; cat >/dev/null; }
  got=${PIPESTATUS[0]}
  set -e
  [[ $got == 2 ]] || { cat "$work/err"; fail "$cmd of a file truncated under it exited $got, expected 2"; }
  grep -Eq "^binlogkit: $work/shrink.000001: the file shrank while it was read \(nothing from offset [0-9]+ on could be read\)" "$work/err" ||
    { cat "$work/err"; fail "$cmd: no message naming the shrunk file and offset"; }
done

# ---- item 5: names on one line ----------------------------------------------------------
expect 0 bk dump "$w/newline.000001"
[[ -s $work/out ]] || fail "dump printed nothing"
grep -q '^SELECT 7' "$work/out" && fail "dump printed a line of a table name"
grep -qF 'table=\nSELECT 7	column_count=' "$work/out" || fail "dump did not escape the newline in the table name"
expect 0 bk dump -v "$w/newline.000001"
grep -q '^SELECT 7' "$work/out" && fail "dump -v printed a line of a table name"
grep -qF '### INSERT INTO `shop`.`\nSELECT 7`' "$work/out" || fail "dump -v did not escape the table name"
expect 1 bk triage --executed-gtids 0-1-100 "$w/newline-damaged.000001"
[[ -s $work/out ]] || fail "triage printed nothing"
# Resuming at the executed GTIDs has no source file and position: the summary says so.
grep -Eq '^binlogkit triage: .*: damaged \(1 range\(s\)\), resume after GTID state 0-1-100, [0-9]+\.[0-9]{2} s$' \
  "$work/err" || { cat "$work/err"; fail "triage's summary does not name the GTID state it resumes after"; }
grep -q '^SELECT 7' "$work/out" && fail "triage printed a line of a table name"
grep -qF -- '-- and tables compare equal (CHECKSUM TABLE ... EXTENDED on both): first `shop`.`\nSELECT 7`, `shop`.`customers`.' \
  "$work/out" || fail "triage's plan check did not escape the table name"

# ---- item 5: salvage to a full file system ----------------------------------------------
cp "$td/mixed.000001" "$work/flipped.000001"
printf '\x55' | dd of="$work/flipped.000001" bs=1 seek=9000 conv=notrunc status=none
mkdir "$work/full"
if mount -t tmpfs -o size=4k tmpfs "$work/full" 2>/dev/null; then
  mnt=$work/full
  expect 2 bk salvage "$work/flipped.000001" "$work/full/out.000001"
  err_is "binlogkit: $work/full/out.000001: write failed (nothing was written to it): No space left on device"
else
  # No mount here: a file size limit makes the write fail the same way (EFBIG).
  expect 2 bash -c "trap '' XFSZ; ulimit -f 4; exec \"\$0\" salvage \"\$1\" \"\$2\"" "$bin" "$work/flipped.000001" \
    "$work/full/out.000001"
  err_is "binlogkit: $work/full/out.000001: write failed (nothing was written to it): File too large"
fi
[[ -z $(ls -A "$work/full") ]] || { ls -la "$work/full"; fail "salvage left a file behind on a full file system"; }

echo "damaged_inputs: OK"
