#!/usr/bin/env python3
"""Runs the row-values workload on a running sandbox server and checks every value that
`binlogkit dump --json -v` decodes from the binlog against what SELECT returned for that
row on the server. Called by rows_values_e2e.sh.

  rows_values_check.py BINLOGKIT SANDBOX_SCRIPT SANDBOX_DIR

Oracle: the server. Each DML statement runs in its own transaction; the table is read
with SELECT before and after it (time_zone +00:00, results as raw bytes). The k-th binlog
transaction holding rows events belongs to the k-th statement: its before images must
equal the rows of the first snapshot with the same id, its after images those of the
second. Values are compared in the server's text form (numbers parsed, FLOAT to the 6
digits the server prints, BIT as its big-endian number, UUID/INET6/INET4 as the bytes
their text names, which is how MariaDB writes them to the binlog).
"""
import base64
import ipaddress
import json
import math
import os
import struct
import subprocess
import sys
import uuid

BIN, SANDBOX, DIR = sys.argv[1:4]
DB = "rv"


def sql(statements, session=""):
    """Runs statements in one client session; returns stdout bytes (batch, raw bytes)."""
    text = "SET time_zone='+00:00'; SET sql_mode=''; " + session + statements
    p = subprocess.run([SANDBOX, "sql", DIR, "--batch", "--skip-column-names",
                        "--default-character-set=binary", "--binary-mode"],
                       input=text.encode("utf-8", "surrogateescape"), capture_output=True)
    if p.returncode != 0:
        sys.exit("rows_values_check: SQL failed: %s\n%s" % (statements[:300],
                                                             p.stderr.decode(errors="replace")))
    return p.stdout


def unescape(field):
    """The mariadb client's --batch escaping (\\0 \\t \\n \\\\) undone."""
    out = bytearray()
    i = 0
    while i < len(field):
        c = field[i]
        if c == 0x5C and i + 1 < len(field):
            n = field[i + 1]
            out += {0x30: b"\0", 0x74: b"\t", 0x6E: b"\n", 0x5C: b"\\"}.get(n, bytes([0x5C, n]))
            i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


def snapshot(table):
    rows = {}
    out = sql("SELECT * FROM %s.%s ORDER BY id;" % (DB, table))
    for line in out.split(b"\n"):
        if not line:
            continue
        cells = [None if f == b"NULL" else unescape(f) for f in line.split(b"\t")]
        rows[int(cells[0])] = cells
    return rows


# ---- the workload ------------------------------------------------------------------

def q(b):
    """A byte string as a SQL hex literal (exact bytes, any charset)."""
    return "X'%s'" % b.hex() if b else "''"


enum_many = ",".join("'e%d'" % i for i in range(300))
set_many = ",".join("'s%d'" % i for i in range(64))
bit_cols = ",".join("b%d BIT(%d)" % (n, n) for n in range(1, 65))

TABLES = {
    "t_int": """id INT PRIMARY KEY,
        ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
        mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
        bi BIGINT, biu BIGINT UNSIGNED, bo BOOL""",
    "t_real": """id INT PRIMARY KEY, f FLOAT, d DOUBLE, fu FLOAT UNSIGNED,
        dec10_2 DECIMAL(10,2), dec5_0 DECIMAL(5,0), dec1_1 DECIMAL(1,1),
        dec65_30 DECIMAL(65,30), dec65_0 DECIMAL(65,0), dec20_10u DECIMAL(20,10) UNSIGNED,
        dec38_9 DECIMAL(38,9), dec17_17 DECIMAL(17,17)""",
    "t_time": """id INT PRIMARY KEY, y YEAR, d DATE,
        t0 TIME(0), t1 TIME(1), t2 TIME(2), t3 TIME(3), t4 TIME(4), t5 TIME(5), t6 TIME(6),
        dt0 DATETIME(0), dt1 DATETIME(1), dt2 DATETIME(2), dt3 DATETIME(3), dt4 DATETIME(4),
        dt5 DATETIME(5), dt6 DATETIME(6),
        ts0 TIMESTAMP(0) NULL, ts1 TIMESTAMP(1) NULL, ts2 TIMESTAMP(2) NULL,
        ts3 TIMESTAMP(3) NULL, ts4 TIMESTAMP(4) NULL, ts5 TIMESTAMP(5) NULL,
        ts6 TIMESTAMP(6) NULL""",
    "t_str": """id INT PRIMARY KEY,
        c10 CHAR(10) CHARACTER SET utf8mb4, c255 CHAR(255) CHARACTER SET utf8mb4,
        v60 VARCHAR(60) CHARACTER SET utf8mb4, v100 VARCHAR(100) CHARACTER SET utf8mb4,
        cl5 CHAR(5) CHARACTER SET latin1, cl255 CHAR(255) CHARACTER SET latin1,
        vl200 VARCHAR(200) CHARACTER SET latin1, vl300 VARCHAR(300) CHARACTER SET latin1,
        cb10 CHAR(10) CHARACTER SET binary, vcb300 VARCHAR(300) CHARACTER SET binary,
        bn8 BINARY(8), bn255 BINARY(255), vb10 VARBINARY(10), vb1000 VARBINARY(1000)""",
    "t_blob": """id INT PRIMARY KEY, tb TINYBLOB, b BLOB, mb MEDIUMBLOB, lb LONGBLOB,
        tt TINYTEXT CHARACTER SET utf8mb4, tx TEXT CHARACTER SET utf8mb4,
        mt MEDIUMTEXT CHARACTER SET latin1, lt LONGTEXT CHARACTER SET utf8mb4, j JSON""",
    "t_misc": """id INT PRIMARY KEY, e ENUM('a','b','c d','','it''s'), e300 ENUM(%s),
        s SET('x','y','z'), s64 SET(%s), g GEOMETRY, p POINT, ls LINESTRING,
        u UUID, i6 INET6, i4 INET4""" % (enum_many, set_many),
    "t_bit": "id INT PRIMARY KEY, " + bit_cols,
}

utf8_bytes = "héllo wörld 😀 ✓ \"q\" 'a' \\ \t\n".encode()
latin1_bytes = bytes(range(0x20, 0x7F)) + bytes([0xE9, 0xFC, 0xA0, 0xFF, 0x5C, 0x27])
all_bytes = bytes(range(256))
big = bytes((i * 7 + 3) % 256 for i in range(70000))       # over 64 KiB
big_text = ("ä€😀x" * 9000).encode()                           # 2 KiB short of 100 KiB


def ins(table, cols, rows):
    vals = ",".join("(" + r + ")" for r in rows)
    return "INSERT INTO %s.%s (%s) VALUES %s;" % (DB, table, cols, vals)


def workload():
    """(table, statement) pairs: every one changes at least one row."""
    w = []
    # integers: min, max, zero, -1, NULL
    w.append(("t_int", ins("t_int", "id,ti,tiu,si,siu,mi,miu,i,iu,bi,biu,bo", [
        "1,-128,0,-32768,0,-8388608,0,-2147483648,0,-9223372036854775808,0,0",
        "2,127,255,32767,65535,8388607,16777215,2147483647,4294967295,9223372036854775807,18446744073709551615,1",
        "3,-1,1,-1,1,-1,1,-1,1,-1,1,-1",
        "4,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL",
        "5,0,128,0,32768,0,8388608,0,2147483648,0,9223372036854775808,127"])))
    w.append(("t_real", ins("t_real", "id,f,d,fu,dec10_2,dec5_0,dec1_1,dec65_30,dec65_0,dec20_10u,dec38_9,dec17_17", [
        "1,3.40282e38,1.7976931348623157e308,0,-99999999.99,-99999,-0.9,"
        "-99999999999999999999999999999999999.999999999999999999999999999999,"
        "-99999999999999999999999999999999999999999999999999999999999999999,0,"
        "-12345678901234567890123456789.123456789,-0.12345678901234567",
        "2,-1.17549e-38,2.2250738585072014e-308,1.5,99999999.99,99999,0.9,"
        "99999999999999999999999999999999999.999999999999999999999999999999,"
        "99999999999999999999999999999999999999999999999999999999999999999,"
        "9999999999.9999999999,99999999999999999999999999999.999999999,0.00000000000000001",
        "3,0.1,0.1,3.14159,-0.01,0,-0.1,-0.000000000000000000000000000001,-1,0.0000000001,"
        "-0.000000001,-0.00000000000000001",
        "4,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL",
        "5,-0.0,-0.0,1e-30,0,-0,0,-1.5,0,1,100,0",
        "6,1e15,5e-324,123456,1.5,12345,0.5,-123.000000000000000000000000000456,"
        "12345678901234567890123456789012345678901234567890123456789012345,12.5,"
        "-1000000000,0.5",
        "7,-123.456,-1e300,0.000123,-12.34,-1,-0.5,-1000000000.1,-1000000000,"
        "1234567890.0123456789,-999999999.999999999,-0.99999999999999999"])))
    tcols = "id,y,d,t0,t1,t2,t3,t4,t5,t6,dt0,dt1,dt2,dt3,dt4,dt5,dt6,ts0,ts1,ts2,ts3,ts4,ts5,ts6"

    def trow(i, y, d, t, dt, ts):
        return ",".join([str(i), y, d] + [t] * 7 + [dt] * 7 + [ts] * 7)
    w.append(("t_time", ins("t_time", tcols, [
        trow(1, "1901", "'1000-01-01'", "'-838:59:59.999999'", "'1000-01-01 00:00:00.000001'", "'1970-01-01 00:00:01.000001'"),
        trow(2, "2155", "'9999-12-31'", "'838:59:59.999999'", "'9999-12-31 23:59:59.999999'", "'2038-01-19 03:14:07.999999'"),
        trow(3, "0", "'0000-00-00'", "'00:00:00'", "'0000-00-00 00:00:00'", "'0000-00-00 00:00:00'"),
        trow(4, "NULL", "NULL", "NULL", "NULL", "NULL"),
        trow(5, "2000", "'2024-02-29'", "'-00:00:00.5'", "'2024-02-29 12:34:56.123456'", "'2024-02-29 12:34:56.654321'"),
        trow(6, "1999", "'0000-01-00'", "'-12:34:56.789012'", "'2000-00-00 00:00:00'", "'2000-01-01 00:00:00.5'"),
        trow(7, "1970", "'2000-01-31'", "'100:00:00.000001'", "'1999-12-31 23:59:59.1'", "'1999-12-31 23:59:59.99'"),
        trow(8, "2001", "'1970-01-01'", "'-00:00:01'", "'1970-01-01 00:00:00'", "'2001-09-09 01:46:40.012345'")])))
    scols = "id,c10,c255,v60,v100,cl5,cl255,vl200,vl300,cb10,vcb300,bn8,bn255,vb10,vb1000"
    w.append(("t_str", ins("t_str", scols, [
        ",".join(["1", q("😀😀 ab".encode()), q(utf8_bytes * 3), q(utf8_bytes), q(utf8_bytes * 2),
                  q(b"\xe9\xe8 a"), q(latin1_bytes), q(latin1_bytes), q(latin1_bytes * 2),
                  q(b"\0a\0"), q(all_bytes[:300]), q(b"ab"), q(all_bytes[1:]), q(b"\0\0"), q(all_bytes * 3)]),
        ",".join(["2", "''", "''", "''", "''", "''", "''", "''", "''", "''", "''", "''", "''", "''", "''"]),
        ",".join(["3"] + ["NULL"] * 14),
        ",".join(["4", q(b"x" * 10), q("€".encode() * 255), q("😀".encode() * 60), q("é".encode() * 100),
                  q(b"\xff" * 5), q(b"\xe9" * 255), q(b"y" * 200), q(b"\xfe" * 300), q(b"\xff" * 10),
                  q(b"\0" * 300), q(b"\0" * 8), q(b"a" + b"\0" * 254), q(b"\xff" * 10), q(b"\0" * 1000)]),
        ",".join(["5", q(b"trail   "), q(b" lead"), q(b"trail  "), q(b"NUL\0mid"), q(b"a "), q(b"tab\t"),
                  q(b"a  "), q(b"quote'\"`\\"), q(b"z "), q(b"bin "), q(b"\0x"), q(b"x "), q(b" "), q(b"end\0")]),
    ])))
    w.append(("t_blob", ins("t_blob", "id,tb,b,mb,lb,tt,tx,mt,lt,j", [
        ",".join(["1", q(all_bytes[:255]), q(big[:65535]), q(big), q(big + big), q(("é" * 63).encode()),
                  q(big_text[:65532]), q(latin1_bytes * 700), q(big_text), q(b'{"a": [1, 2.5, "x\\u00e9", null, true], "b": {"c": -1}}')]),
        ",".join(["2", "''", "''", "''", "''", "''", "''", "''", "''", q(b"[]")]),
        ",".join(["3"] + ["NULL"] * 9),
        ",".join(["4", q(b"\0"), q(b"\\'"), q(b"\n\r\t"), q(b"x"), q(utf8_bytes), q(utf8_bytes), q(b"\xe9"), q(utf8_bytes), q(b'"str"')]),
    ])))
    # UUID, INET6 and INET4 read a binary string as their binary form: their
    # literals carry a character set (the client's is binary).
    w.append(("t_misc", ins("t_misc", "id,e,e300,s,s64,g,p,ls,u,i6,i4", [
        "1,'a','e0','','s0',ST_GeomFromText('POINT(1 2)'),ST_GeomFromText('POINT(-1.5 1e300)'),"
        "ST_GeomFromText('LINESTRING(0 0,1 1,2 2)'),_latin1'123e4567-e89b-12d3-a456-426655440000',_latin1'::1',_latin1'0.0.0.0'",
        "2,'it''s','e299','x,y,z','%s',ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))',4326),"
        "ST_GeomFromText('POINT(0 0)'),ST_GeomFromText('LINESTRING(1 2,3 4)'),"
        "_latin1'ffffffff-ffff-ffff-ffff-ffffffffffff',_latin1'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',_latin1'255.255.255.255'" % ",".join("s%d" % i for i in range(64)),
        "3,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL",
        "4,'','e255','y','s63,s7,s8',ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1))'),ST_GeomFromText('POINT(3 4)'),"
        "ST_GeomFromText('LINESTRING(5 6,7 8)'),_latin1'00000000-0000-0000-0000-000000000000',_latin1'2001:db8::ff00:42:8329',_latin1'10.0.0.1'",
        "5,'c d','e1','x,z','s31,s32',ST_GeomFromText('MULTIPOINT(1 1,2 2)'),NULL,NULL,"
        "_latin1'018f2b4e-7c1a-7abc-8def-0123456789ab',_latin1'::ffff:1.2.3.4',_latin1'192.168.1.254'",
    ])))
    brow = lambda i, f: ",".join([str(i)] + [f(n) for n in range(1, 65)])
    w.append(("t_bit", ins("t_bit", "id," + ",".join("b%d" % n for n in range(1, 65)), [
        brow(1, lambda n: "b'%s'" % ("1" * n)),
        brow(2, lambda n: "b'0'"),
        brow(3, lambda n: "NULL"),
        brow(4, lambda n: "b'%s'" % ("10" * n)[:n]),
        brow(5, lambda n: "b'%s'" % ("1" + "0" * (n - 1))),
    ])))
    return w


def changes(image):
    """Updates and deletes for the current phase (each touches existing rows)."""
    t = [
        ("t_int", "UPDATE %s.t_int SET ti=ti DIV 2, biu=NULL, bo=NULL WHERE id IN (1,2);"),
        ("t_int", "UPDATE %s.t_int SET i=42, iu=42 WHERE id=4;"),
        ("t_real", "UPDATE %s.t_real SET dec65_30=-dec65_30, d=d/3, f=NULL WHERE id IN (1,3,6);"),
        ("t_time", "UPDATE %s.t_time SET t3='-01:02:03.456', dt6=NULL, ts0='2000-01-01 00:00:00' WHERE id IN (1,4);"),
        ("t_str", "UPDATE %s.t_str SET v60=CONCAT(IFNULL(v60,''),'+'), bn8=X'0102' WHERE id IN (1,3);"),
        ("t_blob", "UPDATE %s.t_blob SET tb=NULL, lb=REPEAT('z', 66000) WHERE id IN (1,2);"),
        ("t_misc", "UPDATE %s.t_misc SET e='b', s64='s5', i4=_latin1'1.1.1.1' WHERE id IN (1,3);"),
        ("t_bit", "UPDATE %s.t_bit SET b1=NOT b1, b64=b'1', b33=NULL WHERE id IN (1,2);"),
        ("t_int", "DELETE FROM %s.t_int WHERE id=3;"),
        ("t_real", "DELETE FROM %s.t_real WHERE id IN (2,5);"),
        ("t_time", "DELETE FROM %s.t_time WHERE id=2;"),
        ("t_str", "DELETE FROM %s.t_str WHERE id=4;"),
        ("t_blob", "DELETE FROM %s.t_blob WHERE id=1;"),
        ("t_misc", "DELETE FROM %s.t_misc WHERE id=2;"),
        ("t_bit", "DELETE FROM %s.t_bit WHERE id=4;"),
    ]
    return [(tb, s % DB) for tb, s in t]


def run_phase(session, steps, log):
    for table, stmt in steps:
        before = snapshot(table)
        out = sql(stmt + " SELECT ROW_COUNT();", session)
        if int(out.split()[-1]) < 1:
            sys.exit("rows_values_check: statement changed no row: " + stmt)
        after = snapshot(table)
        log.append((table, stmt, before, after))


def main():
    sql("CREATE DATABASE %s;" % DB)
    for name, cols in TABLES.items():
        sql("CREATE TABLE %s.%s (%s) ENGINE=InnoDB;" % (DB, name, cols))
    log = []
    # Phase 1: FULL images.
    run_phase("SET SESSION binlog_row_image=FULL; ", workload() + changes("FULL"), log)
    # Phase 2: MINIMAL images, on fresh rows of every table.
    run_phase("", [(name, "DELETE FROM %s.%s;" % (DB, name)) for name in TABLES], log)
    run_phase("SET SESSION binlog_row_image=MINIMAL; ", workload() + changes("MINIMAL"), log)
    # Phase 3: NOBLOB images.
    run_phase("", [(name, "DELETE FROM %s.%s;" % (DB, name)) for name in TABLES], log)
    run_phase("SET SESSION binlog_row_image=NOBLOB; ", workload() + changes("NOBLOB"), log)
    # Phase 4: compressed row events (log_bin_compress is global).
    run_phase("", [(name, "DELETE FROM %s.%s;" % (DB, name)) for name in TABLES], log)
    sql("SET GLOBAL log_bin_compress=ON; SET GLOBAL log_bin_compress_min_len=10;")
    run_phase("SET SESSION binlog_row_image=FULL; ", workload() + changes("FULL"), log)
    sql("SET GLOBAL log_bin_compress=OFF;")
    sql("FLUSH BINARY LOGS;")

    types = {}
    for line in sql("SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IFNULL(CHARACTER_SET_NAME, '') "
                    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='%s' "
                    "ORDER BY TABLE_NAME, ORDINAL_POSITION;" % DB).split(b"\n"):
        if line:
            t, c, dt, ct, cs = line.decode().split("\t")
            if cs == "latin1":
                dt = "latin1 " + dt
            types.setdefault(t, []).append((c, dt, ct))
    # latin1 text is written as UTF-8 text: check the mapping used below against the server.
    high = bytes(range(0x80, 0x100))
    server_utf8 = bytes.fromhex(sql("SELECT HEX(CONVERT(_latin1 X'%s' USING utf8mb4));" % high.hex()).decode().strip())
    if latin1_text(high).encode() != server_utf8:
        sys.exit("rows_values_check: latin1 mapping differs from the server's")

    # Decode every binlog file of the server, in order.
    env = dict(l.split("=", 1) for l in open(os.path.join(DIR, "env")).read().split("\n") if "=" in l)
    bdir = env["SANDBOX_BINLOG_DIR"].strip("'")
    index = os.path.join(bdir, env["SANDBOX_BINLOG_BASENAME"].strip("'") + ".index")
    files = [os.path.join(bdir, os.path.basename(l.strip())) for l in open(index) if l.strip()]
    transactions = []  # lists of rows events
    compressed = 0
    for f in files:
        p = subprocess.run([BIN, "dump", "--json", "-v", f], capture_output=True)
        if p.returncode != 0:
            sys.exit("rows_values_check: binlogkit dump --json -v %s failed (%d): %s"
                     % (f, p.returncode, p.stderr.decode(errors="replace")))
        for line in p.stdout.decode().split("\n"):
            if not line:
                continue
            ev = json.loads(line)
            code = ev.get("type_code")
            if code == 162:  # MariaDB GTID: a transaction starts
                transactions.append([])
            elif "rows" in ev:
                if 166 <= code <= 171:  # WRITE/UPDATE/DELETE_ROWS_COMPRESSED_EVENT(_V1)
                    compressed += 1
                if ev.get("database") == DB:
                    transactions[-1].append(ev)
    transactions = [t for t in transactions if t]
    print("files %d, transactions with rows %d, statements %d, compressed rows events %d"
          % (len(files), len(transactions), len(log), compressed))
    if len(transactions) != len(log):
        sys.exit("rows_values_check: %d statements but %d transactions with rows events"
                 % (len(log), len(transactions)))
    if compressed < 10:
        sys.exit("rows_values_check: only %d compressed rows events" % compressed)

    compared = 0
    covered = set()
    failures = []
    images = 0

    def check(table, stmt, which, image, present, snap, row_id):
        nonlocal compared
        row = snap.get(row_id)
        if row is None:
            failures.append("%s: %s image of id=%s has no row in the snapshot (%s)" % (table, which, row_id, stmt))
            return
        for i in present:
            col, dt, ct = types[table][i]
            ok, _ = same(dt, ct, image[i], row[i])
            compared += 1
            if not ok:
                failures.append("MISMATCH %s.%s (%s) id=%s %s image: binlogkit=%s server=%r  [%s]"
                                % (table, col, ct, row_id, which, json.dumps(image[i])[:100],
                                   (row[i] or b"NULL")[:100], stmt[:120]))
            elif row[i] is not None:
                covered.add(dt.split()[-1])

    for (table, stmt, before, after), events in zip(log, transactions):
        for ev in events:
            if ev["table"] != table:
                failures.append("statement on %s logged rows of %s" % (table, ev["table"]))
                continue
            width = len(types[table])
            if ev.get("columns") != [c for c, _, _ in types[table]]:
                failures.append("%s: column names %s" % (table, ev.get("columns")))
            for r in ev["rows"]:
                ids = {}
                for which in ("before", "after"):
                    if which in r:
                        pres = r.get(which + "_present", list(range(width)))
                        if 0 in pres:
                            ids[which] = r[which][0]
                row_id = ids.get("before", ids.get("after"))
                if row_id is None:
                    failures.append("%s: row without its id: %s" % (table, json.dumps(r)[:200]))
                    continue
                for which, snap in (("before", before), ("after", after)):
                    if which in r:
                        images += 1
                        pres = r.get(which + "_present", list(range(width)))
                        check(table, stmt, which, r[which], pres, snap, ids.get(which, row_id))
    for f in failures[:60]:
        print(f)
    want_types = {"tinyint", "smallint", "mediumint", "int", "bigint", "float", "double", "decimal",
                  "year", "date", "time", "datetime", "timestamp", "char", "varchar", "binary",
                  "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "tinytext", "text",
                  "mediumtext", "longtext", "enum", "set", "bit", "geometry", "point", "linestring",
                  "uuid", "inet6", "inet4"}
    print("compared %d values in %d row images; types with non-NULL values: %d" % (compared, images, len(covered)))
    if failures:
        sys.exit("rows_values_check: %d mismatches" % len(failures))
    if compared < 3000:
        sys.exit("rows_values_check: only %d values compared" % compared)
    if want_types - covered:
        sys.exit("rows_values_check: types never compared: %s" % sorted(want_types - covered))
    print("rows_values_check: ok")


def latin1_text(b):
    """MariaDB's latin1 (cp1252, its five holes mapped to the same code points) as text."""
    return "".join(bytes([c]).decode("cp1252") if c not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else chr(c)
                   for c in b)


def as_bytes(v):
    if isinstance(v, dict) and "base64" in v:
        return base64.b64decode(v["base64"])
    if isinstance(v, str):
        return v.encode("utf-8")
    return None


def same(dt, ct, got, sv):
    """(equal?, text) for a decoded JSON value and the server's raw SELECT bytes."""
    if sv is None or got is None:
        return (sv is None and got is None), sv
    s = sv.decode("latin1")
    if dt in ("tinyint", "smallint", "mediumint", "int", "bigint", "year"):
        return type(got) is int and got == int(s), s
    if dt == "double":
        return (isinstance(got, (int, float)) and float(got) == float(s)
                and math.copysign(1, float(got)) == math.copysign(1, float(s))), s
    if dt == "float":
        if not isinstance(got, (int, float)):
            return False, s
        f32 = struct.unpack("<f", struct.pack("<f", got))[0]
        return f32 == got and float("%.6g" % got) == float(s), s
    if dt in ("decimal", "date", "time", "datetime", "timestamp", "enum", "set"):
        return got == s, s
    if dt.startswith("latin1 "):
        return got == latin1_text(sv), s
    if dt == "bit":
        return got == int.from_bytes(sv, "big"), s
    if dt == "uuid":
        return as_bytes(got) == uuid.UUID(s).bytes, s
    if dt == "inet6":
        return as_bytes(got) == ipaddress.IPv6Address(s).packed, s
    if dt == "inet4":
        return as_bytes(got) == ipaddress.IPv4Address(s).packed, s
    return as_bytes(got) == sv, s


main()
