#!/usr/bin/env bash
# Hostile names and values replayed into a real MariaDB 10.11: nothing but the source's own
# statements may run, and the target must end equal to the source.
#
# Usage: tests/server/hostile_names_e2e.sh [BINLOGKIT [MODE...]]
#   MODE: serial, parallel, batches, sql, crafted, split (default: all of them)
#
# 1. A source with --log-bin runs hostile_names.py's workload (statement, row and mixed
#    binlogs; names that end early when read in big5, cp932, gbk, sjis; names that change
#    in euckr, ujis, gb2312; the issue's reproduction; backquotes, quotes, backslashes,
#    newlines, */, -- , ;, NUL, 64-character names; NO_BACKSLASH_ESCAPES and ANSI_QUOTES).
#    The server refuses ucs2, utf16, utf16le and utf32 as client character sets.
# 2. Each mode replays the binlogs into one target (emptied in between), whose global
#    sql_mode differs per mode (default, NO_BACKSLASH_ESCAPES, ANSI_QUOTES, both):
#    `replay` serial, `--parallel 4 --parallel-batches off`, `--parallel 4
#    --parallel-batches on`, and `binlogkit sql | mariadb --binary-mode`. The target must
#    hold the source's databases (SHOW DATABASES) and CHECKSUM TABLE of every table, and no
#    database named pwned*.
# 3. crafted: the last binlog with a database name patched into a Query event (CRC fixed)
#    that would run DROP DATABASE victim if read in gbk: replay and sql | mariadb must stop
#    at that event (exit 1, its file and offset named) and victim must survive.
# 4. split: a statement of the binlog patched into two (CRC fixed), the second dropping
#    victim or failing on a duplicate key: replay (serial and --parallel 4) must refuse it
#    whole (multi-statements off: a syntax error, nothing of it runs) and name it, exit 1.
#    And a transaction whose second statement fails on the target: the failure names that
#    statement and its offset.
# Servers are always stopped and their directories removed (KEEP_WORK=1 keeps them).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}
shift || true
modes=("$@")
((${#modes[@]} > 0)) || modes=(serial parallel batches sql crafted split)
test_name=hostile_names_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "no binlogkit binary at $bin"
need_tools python3 iconv mariadbd mariadb

make_work hostile-names-e2e
sock() { (source "$work/$1/env" && echo "$SANDBOX_SOCKET"); }
q() { "$sandbox" sql "$work/$1" --default-character-set=utf8mb4 --batch --skip-column-names -e "$2"; }

step "servers"
"$sandbox" start "$work/s" --server-id 1 >/dev/null
"$sandbox" start "$work/t" --server-id 2 >/dev/null

step "utf16, ucs2, utf32 are no client character sets"
for cs in ucs2 utf16 utf16le utf32; do
  out=$(q s "SET character_set_client=$cs" 2>&1) && fail "the server took $cs as the client character set"
  [[ $out == *"ERROR 1231 "*"Variable 'character_set_client' can't be set to the value of '$cs'"* ]] ||
    fail "unexpected refusal of $cs: $out"
done

step "workload on the source"
python3 "$root/tests/server/hostile_names.py" workload "$work/workload.sql"
"$sandbox" sql "$work/s" --binary-mode --default-character-set=utf8mb4 <"$work/workload.sql" ||
  fail "the workload failed on the source"
[[ $(q s "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE 'pwned%'") == 0 ]] ||
  fail "the workload itself created a pwned database on the source"
# shellcheck disable=SC1091
mapfile -t files < <(source "$work/s/env" &&
  sed "s|.*/||; s|^|$SANDBOX_BINLOG_DIR/|" "$SANDBOX_BINLOG_DIR/$SANDBOX_BINLOG_BASENAME.index")
((${#files[@]} == 3)) || fail "expected 3 binlogs on the source, found ${#files[@]}"
# The workload; files[1] and files[2] hold the statements the crafted and split modes patch.
main_file=${files[0]}

# Every table of the user's databases, as one CHECKSUM TABLE statement (built on the
# source), but those of the last binlog (the crafted mode's, not replayed by the others).
checksum_sql=$(q s "SELECT CONCAT('CHECKSUM TABLE ', GROUP_CONCAT(CONCAT('\`', REPLACE(table_schema, '\`', '\`\`'),
  '\`.\`', REPLACE(table_name, '\`', '\`\`'), '\`') ORDER BY table_schema, table_name SEPARATOR ', '))
  FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN
  ('mysql', 'information_schema', 'performance_schema', 'sys', 'binlogkit')
  AND (table_schema, table_name) NOT IN (('plain', 'g_before'), ('crafted_aaaaaaaaaaaaaaaaaa', 'ct'),
  ('plain', 'm'))")
[[ $checksum_sql == "CHECKSUM TABLE "* ]] || fail "no tables on the source: $checksum_sql"
user_dbs="SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN
  ('mysql', 'information_schema', 'performance_schema', 'sys', 'binlogkit') ORDER BY schema_name"
q s "$user_dbs" >"$work/source.dbs"
q s "$checksum_sql" >"$work/source.sums"
(($(wc -l <"$work/source.dbs") >= 28)) || fail "only $(wc -l <"$work/source.dbs") databases on the source"
(($(wc -l <"$work/source.sums") >= 40)) || fail "only $(wc -l <"$work/source.sums") tables on the source"
if grep -q "NULL$" "$work/source.sums"; then fail "a table of the source has no checksum"; fi

empty_target() {
  local dbs
  dbs=$(q t "SELECT GROUP_CONCAT(CONCAT('DROP DATABASE \`', REPLACE(schema_name, '\`', '\`\`'), '\`') SEPARATOR ';')
    FROM information_schema.schemata WHERE schema_name NOT IN ('mysql', 'information_schema',
    'performance_schema', 'sys')")
  [[ $dbs == NULL ]] || q t "$dbs" || fail "cannot empty the target"
  q t "SET GLOBAL sql_mode='$1'"
}
equal_to_source() { # equal_to_source WHAT EXIT-CODE: nothing else ran, exit 0, target equal
  local pwned
  pwned=$(q t "SELECT GROUP_CONCAT(schema_name) FROM information_schema.schemata WHERE schema_name LIKE 'pwned%'")
  [[ $pwned == NULL ]] || fail "$1: databases the names created on the target: $pwned (exit $2)"
  (($2 == 0)) || fail "$1: exited $2"
  q t "$user_dbs" >"$work/target.dbs"
  diff "$work/source.dbs" "$work/target.dbs" >&2 || fail "$1: the target's databases differ from the source's"
  q t "$checksum_sql" >"$work/target.sums" 2>&1 || { cat "$work/target.sums" >&2; fail "$1: CHECKSUM TABLE failed"; }
  diff "$work/source.sums" "$work/target.sums" >&2 || fail "$1: a table of the target differs from the source's"
  echo "$1: $(wc -l <"$work/target.dbs") databases, $(wc -l <"$work/target.sums") tables equal, no pwned*"
}
replay() { # replay ID ARGS...
  local id=$1
  shift
  "$bin" replay "$main_file" --no-defaults --socket "$(sock t)" --user root --progress=none --replay-id "$id" "$@"
}

victim_survives() { # victim_survives WHAT
  [[ $(q t "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'victim'") == 1 ]] ||
    fail "$1 dropped victim"
}
replay_into() { # replay_into WHAT TARGET-SQL-MODE ID ARGS...: the workload into an empty target
  local what=$1 sql_mode=$2 rc=0
  shift 2
  step "$what (target sql_mode $sql_mode)"
  empty_target "$sql_mode"
  replay "$@" || rc=$?
  equal_to_source "$what" "$rc"
}

for mode in "${modes[@]}"; do
  case $mode in
    serial) replay_into "serial replay" "$(q s 'SELECT @@GLOBAL.sql_mode')" serial ;;
    parallel) replay_into "replay --parallel 4" NO_BACKSLASH_ESCAPES par --parallel 4 --parallel-batches off ;;
    batches) replay_into "replay --parallel-batches on" ANSI_QUOTES bat --parallel 4 --parallel-batches on ;;
    sql)
      step "sql | mariadb --binary-mode (target NO_BACKSLASH_ESCAPES,ANSI_QUOTES)"
      empty_target NO_BACKSLASH_ESCAPES,ANSI_QUOTES
      "$bin" sql "$main_file" >"$work/main.sql" || fail "sql exited $?"
      [[ -s $work/main.sql ]] || fail "sql wrote nothing"
      rc=0
      "$sandbox" sql "$work/t" --binary-mode <"$work/main.sql" || rc=$?
      equal_to_source "sql | mariadb" "$rc"
      ;;
    crafted)
      step "crafted name: DROP DATABASE victim must not run"
      empty_target "$(q s 'SELECT @@GLOBAL.sql_mode')"
      # What the crafted binlog's statements need: plain, victim and the database a gbk
      # reading of the name's first bytes opens (c and the gbk character 81 60).
      q t "CREATE DATABASE plain; CREATE DATABASE victim; CREATE DATABASE \`c$(printf '\x81`' | iconv -f gbk -t utf-8)\`"
      at=$(python3 "$root/tests/server/hostile_names.py" crafted "${files[1]}" "$work/crafted.000002")
      [[ $at =~ ^[0-9]+$ ]] || fail "no crafted event: $at"
      "$bin" verify "$work/crafted.000002" >/dev/null || fail "the crafted binlog does not verify (CRC not fixed?)"
      rc=0
      "$bin" replay "$work/crafted.000002" --no-defaults --socket "$(sock t)" --user root --progress=none \
        --replay-id crafted 2>"$work/crafted.err" || rc=$?
      cat "$work/crafted.err"
      victim_survives "replay of the crafted binlog (exit $rc)"
      ((rc == 1)) || fail "replay of the crafted binlog exited $rc, not 1"
      grep -qF "at:        $work/crafted.000002:$at" "$work/crafted.err" ||
        fail "the replay's failure does not name the crafted event at $at"
      q t "DROP TABLE plain.g_before"  # made by the replay above, before the crafted event
      rc=0
      "$bin" sql "$work/crafted.000002" >"$work/crafted.sql" || fail "sql of the crafted binlog exited $?"
      [[ -s $work/crafted.sql ]] || fail "sql of the crafted binlog wrote nothing"
      "$sandbox" sql "$work/t" --binary-mode <"$work/crafted.sql" 2>"$work/crafted-client.err" || rc=$?
      cat "$work/crafted-client.err"
      victim_survives "sql | mariadb of the crafted binlog (exit $rc)"
      ((rc == 1)) || fail "mariadb exited $rc on the crafted statement, not 1"
      grep -qF "ERROR 1300 (HY000) at line" "$work/crafted-client.err" ||
        fail "mariadb did not stop at the crafted name (error 1300)"
      echo "crafted: victim survives; replay and sql | mariadb stop at offset $at"
      ;;
    split)
      step "a failure in a packet of several statements names the one that failed"
      split=${files[2]}
      empty_target "$(q s 'SELECT @@GLOBAL.sql_mode')"
      q t "CREATE DATABASE plain; CREATE DATABASE victim; CREATE TABLE plain.m (a INT PRIMARY KEY);
           INSERT INTO plain.m VALUES (2)"
      at=$(python3 "$root/tests/server/hostile_names.py" offset "$split" "INSERT INTO plain.m VALUES (2)")
      for par in 1 4; do
        rc=0
        "$bin" replay "$split" --no-defaults --socket "$(sock t)" --user root --progress=none \
          --replay-id "blame$par" --parallel "$par" 2>"$work/blame.err" || rc=$?
        cat "$work/blame.err"
        ((rc == 1)) || fail "--parallel $par: a duplicate key exited $rc, not 1"
        grep -qF "at:        $split:$at " "$work/blame.err" || fail "--parallel $par: not blamed on the event at $at"
        grep -qxF "  statement: INSERT INTO plain.m VALUES (2)" "$work/blame.err" ||
          fail "--parallel $par: not blamed on INSERT INTO plain.m VALUES (2)"
        grep -qF "server:    error 1062: Duplicate entry '2'" "$work/blame.err" || fail "--parallel $par: no error 1062"
      done
      for what in drop dup; do
        step "a statement of the binlog that is two ($what): refused whole, named"
        for par in 1 4; do
          empty_target "$(q s 'SELECT @@GLOBAL.sql_mode')"
          q t "CREATE DATABASE plain; CREATE DATABASE victim"
          at=$(python3 "$root/tests/server/hostile_names.py" "$what" "$split" "$work/split.000003")
          rc=0
          "$bin" replay "$work/split.000003" --no-defaults --socket "$(sock t)" --user root --progress=none \
            --replay-id "$what$par" --parallel "$par" 2>"$work/split.err" || rc=$?
          cat "$work/split.err"
          victim_survives "$what, --parallel $par: the second statement (exit $rc)"
          [[ $(q t "SELECT COUNT(*) FROM plain.m WHERE a = 40") == 0 ]] ||
            fail "$what, --parallel $par: the first statement of the two ran (exit $rc)"
          ((rc == 1)) || fail "$what, --parallel $par: exited $rc, not 1"
          grep -qF "at:        $work/split.000003:$at (GTID 0-1-" "$work/split.err" ||
            fail "$what, --parallel $par: not blamed on the event at $at"
          grep -qF "  statement: INSERT INTO plain.m VALUES (40);" "$work/split.err" ||
            fail "$what, --parallel $par: not blamed on the patched statement"
          grep -qF "server:    error 1064: " "$work/split.err" || fail "$what, --parallel $par: no syntax error 1064"
        done
      done
      echo "split: refused whole and named, serial and on 4 connections"
      ;;
    *) fail "unknown mode $mode" ;;
  esac
done
echo "hostile_names_e2e: ok"
