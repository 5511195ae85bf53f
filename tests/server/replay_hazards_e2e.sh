#!/usr/bin/env bash
# `replay` refuses a start point inside a temporary table's life, on a real MariaDB 10.11
# (STATEMENT format, production defaults otherwise):
#  1. A source runs, in one session: CREATE TEMPORARY TABLE app.tmp, rows into it, two
#     transactions on app.log (the first is the point P_in), INSERT INTO app.t SELECT ...
#     FROM tmp (the use), DROP TEMPORARY TABLE tmp, then app.log row 3 (the point P_after)
#     and one more row of app.t. Positions come from mariadb-binlog's "# at" lines.
#  2. A target (binlog off) gets the binlog up to P_in by `replay --stop-position P_in`,
#     which warns that the temporary table is open at its stop point; its session ends,
#     and with it the temporary table, as a restarted replica's would.
#  3. `replay --start-position P_in` refuses: exit 3, the hazard line (table, where it
#     opened, the session, the use at its exact offset), nothing applied.
#     `replay --resume` of the replay that stopped at P_in (its progress row's point)
#     refuses the same way.
#  4. With --ignore-hazards it warns, applies the two app.log rows and the server stops it
#     with error 1146 at the use, as the hazard said.
#  5. On a second target, up to P_after and then from P_after: no hazard is printed and
#     every table's checksum equals the source's.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}
test_name=replay_hazards_e2e
source "$root/tests/server/lib.sh"
[[ -x $bin ]] || fail "no binlogkit binary at $bin"
need_tools python3 mariadbd mariadb mariadb-binlog
make_work replay-hazards

replay_to() { # replay_to DIR ARGS...: TCP as bk with the password from MYSQL_PWD
  local d=$1 port
  shift
  # shellcheck disable=SC1091
  port=$(source "$d/env" && echo "$SANDBOX_PORT")
  MYSQL_PWD=bk "$bin" replay --no-defaults --host 127.0.0.1 --port "$port" --user bk --progress=none "$@"
}
expect() { # expect CODE FILE ARGS...: replay_to with stderr in FILE, exiting CODE
  local want=$1 err=$2 got=0
  shift 2
  replay_to "$@" 2>"$err" || got=$?
  [[ $got == "$want" ]] || { cat "$err" >&2; fail "replay exited $got, expected $want"; }
}
has() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks: $2"; }; }
lacks() { ! grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 has: $2"; }; }

step "source, binlog_format=STATEMENT"
src=$work/source
"$sandbox" start "$src" -- --binlog-format=STATEMENT >/dev/null
thread=$(sql "$src" <<'SQL' | tail -n 1
CREATE DATABASE app;
CREATE TABLE app.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
CREATE TABLE app.log (id INT PRIMARY KEY) ENGINE=InnoDB;
USE app;
CREATE TEMPORARY TABLE tmp (id INT, v INT) ENGINE=InnoDB;
INSERT INTO tmp VALUES (1, 10), (2, 20), (3, 30);
INSERT INTO log VALUES (1);
INSERT INTO log VALUES (2);
INSERT INTO t SELECT id, v FROM tmp;
DROP TEMPORARY TABLE tmp;
INSERT INTO log VALUES (3);
INSERT INTO t VALUES (4, 40);
SELECT CONNECTION_ID();
SQL
)
[[ $thread =~ ^[0-9]+$ ]] || fail "no connection id: '$thread'"
binlog=$src/binlog/binlog.000001
[[ -s $binlog ]] || fail "no binlog at $binlog"

step "positions from mariadb-binlog"
mariadb-binlog --no-defaults "$binlog" >"$work/binlog.txt"
# "NAME OFFSET" for: the GTID event of the group holding a statement, and a statement's event.
read -r create use p_in p_after create_gtid < <(python3 - "$work/binlog.txt" <<'PY'
import re, sys
at = gtid_at = None
gtid = None
found = {}
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.match(r"^# at (\d+)$", line)
    if m:
        at = int(m.group(1))
        continue
    m = re.search(r"\tGTID (\d+-\d+-\d+)", line)
    if m:
        gtid_at, gtid = at, m.group(1)
        continue
    for key, text in (("create", "CREATE TEMPORARY TABLE tmp"), ("use", "INSERT INTO t SELECT id, v FROM tmp"),
                      ("in", "INSERT INTO log VALUES (1)"), ("after", "INSERT INTO log VALUES (3)")):
        if line.startswith(text) and key not in found:
            found[key] = (at, gtid_at, gtid)
print(found["create"][0], found["use"][0], found["in"][1], found["after"][1], found["create"][2])
PY
)
echo "CREATE at $create ($create_gtid), use at $use, P_in $p_in, P_after $p_after, thread $thread"
((create < p_in && p_in < use && use < p_after)) || fail "positions out of order"
table_checksums "$src" "$work/source.sum"

step "target 1 up to P_in: the stop point warns"
t1=$work/target1
"$sandbox" start "$t1" --server-id 2 -- --skip-log-bin >/dev/null
hazard="temporary_table \`app\`.\`tmp\` opened at $binlog:$create GTID $create_gtid, thread $thread"
expect 0 "$work/pre1.err" "$t1" "$binlog" --stop-position "$p_in" --replay-id pre1
has "$work/pre1.err" "binlogkit: warning: hazard at the stop point $binlog:$p_in: $hazard, may be needed later"

step "replay from P_in refuses (exit 3), nothing applied"
expect 3 "$work/in.err" "$t1" "$binlog" --start-position "$p_in" --replay-id run1
has "$work/in.err" "binlogkit: replay stopped: the start point $binlog:$p_in has 1 hazard(s) that a replay starting there cannot apply"
has "$work/in.err" "  hazard:    $hazard, needed by $binlog:$use: start at or before $binlog:$create (its CREATE)"
has "$work/in.err" "binlogkit: applied by this run: nothing"
[[ $(q "$t1" "SELECT COUNT(*) FROM app.log") == 0 ]] || fail "rows were applied by a refused replay"
[[ $(q "$t1" "SELECT COUNT(*) FROM binlogkit.replay_progress WHERE replay_id = 'run1'") == 0 ]] ||
  fail "a refused replay wrote a progress row"

step "--resume of the replay that stopped at P_in refuses the same way"
expect 3 "$work/resume.err" "$t1" "$binlog" --resume --replay-id pre1
has "$work/resume.err" "binlogkit: replay stopped: the start point $binlog:$p_in has 1 hazard(s)"
has "$work/resume.err" "  hazard:    $hazard, needed by $binlog:$use: start at or before $binlog:$create (its CREATE)"
[[ $(q "$t1" "SELECT end_pos FROM binlogkit.replay_progress WHERE replay_id = 'pre1'") == "$p_in" ]] ||
  fail "the refused --resume moved the progress row"
[[ $(q "$t1" "SELECT COUNT(*) FROM app.log") == 0 ]] || fail "rows were applied by a refused --resume"

step "with --ignore-hazards: the server stops with 1146 at the use"
expect 1 "$work/ignore.err" "$t1" "$binlog" --start-position "$p_in" --ignore-hazards --replay-id run2
has "$work/ignore.err" "binlogkit: warning: hazard at the start point $binlog:$p_in: $hazard, needed by $binlog:$use"
has "$work/ignore.err" "error 1146"
has "$work/ignore.err" "app.tmp"
[[ $(q "$t1" "SELECT GROUP_CONCAT(id ORDER BY id) FROM app.log") == "1,2" ]] ||
  fail "the transactions before the use were not applied"
[[ $(q "$t1" "SELECT COUNT(*) FROM app.t") == 0 ]] || fail "app.t changed"

step "target 2 from P_after: no hazard, the tables equal the source's"
t2=$work/target2
"$sandbox" start "$t2" --server-id 3 -- --skip-log-bin >/dev/null
expect 0 "$work/pre2.err" "$t2" "$binlog" --stop-position "$p_after" --replay-id pre2
lacks "$work/pre2.err" "hazard"
expect 0 "$work/after.err" "$t2" "$binlog" --start-position "$p_after" --replay-id run3
lacks "$work/after.err" "hazard"
table_checksums "$t2" "$work/target2.sum"
diff "$work/source.sum" "$work/target2.sum" >&2 || fail "target 2's tables differ from the source's"
[[ $(q "$t2" "SELECT GROUP_CONCAT(id ORDER BY id) FROM app.t") == "1,2,3,4" ]] || fail "app.t is not 1,2,3,4"
echo "replay_hazards_e2e: ok"
