#!/usr/bin/env bash
# Every row value binlogkit decodes equals what the real server returns for that row.
#
# Usage: tests/server/rows_values_e2e.sh [BINLOGKIT]
#   BINLOGKIT: the binlogkit binary (default: $BINLOGKIT, else build/binlogkit)
#
# 1. A throwaway MariaDB 10.11 (scripts/mariadb-sandbox) with binlog_row_metadata=FULL.
# 2. rows_values_check.py: tables with every column type MariaDB has (integers signed and
#    unsigned, FLOAT, DOUBLE, DECIMAL up to (65,30), YEAR, DATE, TIME/DATETIME/TIMESTAMP
#    with 0-6 fractional digits, zero dates, CHAR/VARCHAR with 1- and 2-byte lengths in
#    utf8mb4, latin1 and binary, BINARY/VARBINARY, every BLOB and TEXT incl. values over
#    64 KiB, ENUM (1 and 2 bytes), SET (1 to 8 bytes), BIT(1..64), GEOMETRY, JSON, UUID,
#    INET6, INET4); inserts, updates and deletes with edge values and NULLs under
#    binlog_row_image FULL, MINIMAL and NOBLOB, then FULL with log_bin_compress=ON. Each
#    decoded value (`binlogkit dump --json -v`) must equal the server's SELECT of that
#    row before or after the statement.
# 3. tests/cli/dump_vv_matches_mariadb_binlog.sh on the same binlogs: the `###` lines of
#    `binlogkit dump -vv` equal `TZ=UTC mariadb-binlog -vv`.
# The server is always stopped and its directory removed (KEEP_WORK=1 keeps it).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
bin=${1:-${BINLOGKIT:-$root/build/binlogkit}}
test_name=rows_values_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $bin ]] || fail "no binlogkit binary at $bin"
need_tools python3 mariadbd mariadb

make_work rows-values-e2e

step "server"
"$sandbox" start "$work/server" -- --binlog-row-metadata=FULL --max-allowed-packet=64M >/dev/null

step "workload and value check"
python3 "$root/tests/server/rows_values_check.py" "$bin" "$sandbox" "$work/server"

step "dump -vv against mariadb-binlog -vv"
# shellcheck disable=SC1091
source "$work/server/env"
mapfile -t files < <(sed "s|.*/||; s|^|$SANDBOX_BINLOG_DIR/|" "$SANDBOX_BINLOG_DIR/$SANDBOX_BINLOG_BASENAME.index")
bash "$root/tests/cli/dump_vv_matches_mariadb_binlog.sh" "$bin" "${files[@]}"
echo "rows_values_e2e: ok"
