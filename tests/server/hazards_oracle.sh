#!/usr/bin/env bash
# The hazards oracle: `binlogkit hazards FILE --at P` reports a temporary_table or
# load_data hazard exactly at the points P where a real MariaDB 10.11 cannot resume the
# binlog at P, and none where it can. The server decides, not our output.
#
# Usage: tests/server/hazards_oracle.sh [BINLOGKIT] [statement|mixed]...
#   BINLOGKIT: the binlogkit binary (default: $BINLOGKIT, else build/binlogkit)
#   formats: binlog_format values to run (default: both)
#
# For each binlog_format (STATEMENT, MIXED):
# 1. A source (scripts/mariadb-sandbox, production defaults but binlog_format and a small
#    max_allowed_packet = 16K so a LOAD DATA goes in several Append_block events) runs
#    hazards_oracle.py's workload from four connections, one statement at a time in a
#    fixed order: A and B each create a temporary table t_a (same name, two threads) and
#    use it many transactions later; LOAD DATA INFILE into InnoDB and LOAD DATA LOCAL
#    INFILE into MyISAM; MyISAM changes in a rolled-back transaction; XA PREPARE by C,
#    which disconnects, and XA COMMIT by D later; B drops its t_a, A disconnects.
# 2. The truth, per point P (each GTID event; each Append_block and Execute_load_query
#    after a Begin_load_query): a second sandbox (binlog off) emptied (prepared XA rolled
#    back, workload databases dropped), `mariadb-binlog --stop-position=P FILE | mariadb`,
#    then in a new session `mariadb-binlog --start-position=P FILE | mariadb`. P fails if
#    either reports an error or a table's CHECKSUM TABLE ... EXTENDED differs from the
#    source's.
# 3. `binlogkit hazards FILE --at P --json` at each P: a temporary_table or load_data
#    hazard exactly where P fails. Also a mismatch: an XA error at P without an
#    xa_prepared hazard, non_transactional at a GTID boundary where the server resumes
#    cleanly (there is no group to split). Other xa_prepared / non_transactional reports
#    are shown in the table as information.
# Prints the table (P, point kind, server verdict, our kinds, the server's error) and
# fails listing the points where binlogkit disagrees. The servers are always stopped and
# the work directory removed (KEEP_WORK=1 keeps it).
#
# What MariaDB 10.11.19 writes (seen in this workload's binlogs; `binlogkit dump`):
# - Temporary tables, STATEMENT: CREATE TEMPORARY TABLE is a Query event in its own
#   GTID with flags2 = 41 (FL_STANDALONE | FL_ALLOW_PARALLEL | FL_DDL), thread_id =
#   the creating connection (the pseudo_thread_id). Changes to it are Query events in
#   a GTID without FL_TRANSACTIONAL ending in a COMMIT Query, not an Xid, even for an
#   InnoDB temporary table; a statement that reads a temporary table into an InnoDB table
#   also loses FL_TRANSACTIONAL (flags2 = 8) but ends in an Xid. DROP TEMPORARY TABLE
#   is logged as `DROP TEMPORARY TABLE ...` (flags2 41). At disconnect the server writes
#   `DROP /*!40005 TEMPORARY */ TABLE IF EXISTS `t_a`` with the connection's thread_id
#   (one statement listing every table the thread still has open).
# - Temporary tables, MIXED: FILLED IN BELOW from the MIXED run.
# - LOAD DATA INFILE: GTID, Begin_load_query (file_id = n, the first block of data),
#   Append_block events (same file_id; blocks of at most max_allowed_packet bytes for a
#   server-side file, 4096 bytes for LOAD DATA LOCAL, the client's packets), then
#   Execute_load_query (file_id, the LOAD DATA text with the file name rewritten on
#   replay), then Xid (InnoDB, flags2 12 = FL_TRANSACTIONAL | FL_ALLOW_PARALLEL) or a
#   COMMIT Query (MyISAM, flags2 8). file_id counts up per server from 1. mariadb-binlog
#   keeps the blocks in --local-load files and prints LOAD DATA LOCAL INFILE.
# - XA: FILLED IN BELOW.
# - A MyISAM statement's GTID lacks FL_TRANSACTIONAL (flags2 = 8) and its group ends in
#   a COMMIT Query.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}
shift || true
formats=("$@")
((${#formats[@]})) || formats=(statement mixed)
test_name=hazards_oracle
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "no binlogkit binary at $bin"
need_tools python3 mariadbd mariadb mariadb-binlog

make_work hazards-oracle

step "data files"
# 46 KiB for LOAD DATA INFILE (3 blocks of 16 KiB), 18 KiB for LOAD DATA LOCAL (5 of 4 KiB).
python3 -c 'import sys
for i in range(1500): print("%d\trow-%05d-abcdefghijklmnop" % (i, i))' >"$work/load.tsv"
head -n 600 "$work/load.tsv" >"$work/local.tsv"

step "target server"
"$sandbox" start "$work/target" -- --skip-log-bin >/dev/null

rc=0
for format in "${formats[@]}"; do
  step "source, binlog_format=$format"
  src=$work/source-$format
  "$sandbox" start "$src" -- --binlog-format="$format" --max-allowed-packet=16384 >/dev/null
  step "workload, binlog_format=$format"
  python3 "$root/tests/server/hazards_oracle.py" workload "$sandbox" "$src" "$work/load.tsv" "$work/local.tsv"
  binlog=$src/binlog/binlog.000001
  [[ $(q "$src" 'SHOW BINARY LOGS' | wc -l) == 1 ]] || fail "the workload's binlog rotated"
  step "the workload's binlog has a split LOAD DATA, binlog_format=$format"
  "$bin" dump "$binlog" >"$work/dump-$format.txt"
  appends=$(count_matches $'\tAppend_block\t' "$work/dump-$format.txt")
  ((appends >= 6)) || fail "expected at least 6 Append_block events, found $appends"
  step "truth table and comparison, binlog_format=$format"
  python3 "$root/tests/server/hazards_oracle.py" check "$bin" "$sandbox" "$src" "$work/target" \
    "$binlog" "$work" || rc=1
  "$sandbox" stop "$src"
done
((rc == 0)) || fail "binlogkit hazards disagrees with the server (see the tables above)"
echo "hazards_oracle: ok"
