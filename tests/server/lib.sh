# shellcheck shell=bash disable=SC2154
# Shared by the real-server tests (sourced, not run): step names for failure messages,
# tool checks, and a work directory whose servers are stopped and which is removed when
# the test exits, however it exits.
#
# Before sourcing, set:
#   test_name   the name failure messages start with
#   sandbox     scripts/mariadb-sandbox
# Then:
#   step TEXT          names the step that a later `fail` reports
#   fail TEXT          prints "<test_name>: FAILED at step '<step>': TEXT" and exits 1
#   need_tools T...    fails unless every tool is on PATH
#   sql DIR            runs the SQL on stdin as root on the sandbox server in DIR
#   q DIR SQL          one query there, the result without column names
#   slave_status_field DIR FIELD   one field of SHOW SLAVE STATUS there (empty if none)
#   u32 FILE OFFSET, u8 FILE OFFSET   little-endian integers read from FILE
#   events FILE        "offset length type server_id" for each event of a binlog or relay
#                      log, from the 19-byte common headers alone (a walk independent of
#                      binlogkit's reader)
#   make_work PREFIX   creates $work (mktemp) and installs the exit trap: it calls
#                      cleanup_hook if the test defines one (kill a background replay,
#                      stop a replication pair), stops every sandbox server in $work,
#                      kills any server still running from $work, and removes $work
#                      (KEEP_WORK=1 keeps it)
#   table_checksums SANDBOX-DIR FILE
#                      CHECKSUM TABLE of every base table but binlogkit's, into FILE;
#                      fails when the tool fails or lists no table (two empty lists
#                      would compare equal). Needs $root (the checkout).
#   count_matches REGEX FILE
#                      prints how many lines of FILE match (0 included); fails when
#                      FILE is missing or empty, or grep fails otherwise

step_name=setup
step() {
  step_name=$*
  echo "== $*"
}
fail() {
  echo "$test_name: FAILED at step '$step_name': $*" >&2
  exit 1
}
need_tools() {
  local tool
  for tool; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found"
  done
}

table_checksums() {
  local all
  all=$("$root/scripts/replication-pair" checksums "$1") || fail "cannot read the table checksums of $1"
  grep -v '^binlogkit\.' <<<"$all" >"$2" || fail "no table checksums listed for $1"
}

count_matches() {
  [[ -s $2 ]] || fail "$2 is missing or empty"
  local n
  n=$(grep -c -- "$1" "$2") || [[ $? == 1 ]] || fail "grep failed on $2"
  echo "$n"
}

sql() { "$sandbox" sql "$1" --batch; }
q() { "$sandbox" sql "$1" --batch --skip-column-names -e "$2"; }
slave_status_field() {
  "$sandbox" sql "$1" --batch -e 'SHOW SLAVE STATUS\G' | awk -v f="$2" '
    { line = $0; sub(/^ +/, "", line) }
    index(line, f ": ") == 1 { print substr(line, length(f) + 3); exit }'
}
u32() { od -An -tu4 -j "$2" -N4 -- "$1" | tr -d ' '; }
u8() { od -An -tu1 -j "$2" -N1 -- "$1" | tr -d ' '; }
events() {
  local f=$1 size off=4 len
  size=$(stat -c %s -- "$f")
  while ((off + 19 <= size)); do
    len=$(u32 "$f" $((off + 9)))
    ((len >= 19)) || fail "bad event length $len at $f:$off"
    echo "$off $len $(u8 "$f" $((off + 4))) $(u32 "$f" $((off + 5)))"
    off=$((off + len))
  done
}

make_work() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap lib_cleanup EXIT
  trap 'exit 130' INT TERM
}
lib_cleanup() {
  local rc=$?
  local d pid
  if declare -F cleanup_hook >/dev/null; then cleanup_hook || true; fi
  for d in "$work"/*/; do
    [[ -f $d/env ]] && { "$sandbox" stop "$d" >/dev/null 2>&1 || true; }
  done
  for pid in $(pgrep -f -- "--datadir=$work/" 2>/dev/null || true); do
    echo "$test_name: killing leftover server $pid" >&2
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "$test_name: kept $work" >&2; else rm -rf -- "$work"; fi
  exit "$rc"
}
