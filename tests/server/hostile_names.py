#!/usr/bin/env python3
"""Hostile names and values for hostile_names_e2e.sh.

  hostile_names.py workload OUT.sql
      The source's workload, as bytes for `mariadb --binary-mode` (client commands \\C
      switch the client character set). For each binlog format (STATEMENT, ROW, MIXED)
      and each multibyte client character set (big5, cp932, gbk, sjis, euckr, ujis,
      gb2312): a database whose UTF-8 name ends, when read in that character set, before
      ";CREATE DATABASE pwned_..." (where the character set allows it: a character whose
      last UTF-8 byte starts a two-byte character with a backquote after it), statements
      in that character set right before statements that carry the name (USE, a user
      variable with a hostile name, a transaction), values whose bytes in that character
      set hold 0x5C. Then names and values with backquotes, quotes, backslashes, newlines,
      */, -- , ;, NUL and 64 characters, under the default sql_mode, NO_BACKSLASH_ESCAPES
      and ANSI_QUOTES; the issue's own reproduction; a `victim` database; and, after
      FLUSH BINARY LOGS, a gbk statement and one in the database `crafted` + padding that
      `crafted` below turns into a name that would run DROP DATABASE victim.

  hostile_names.py drop|dup IN OUT
      OUT: IN with the statement SPLIT_TEXT of the last binlog patched into two statements
      (the second drops victim, or fails on a duplicate key); prints the event's offset.

  hostile_names.py offset FILE TEXT
      The offset of the first event of FILE that holds TEXT.

  hostile_names.py crafted IN OUT
      OUT: IN with that database name replaced in its Query event by
      "c\\x81`;DROP DATABASE victim;#" (same length) and the event's CRC32 fixed. Read in
      gbk, \\x81` is one character: `use` of it closes the name and drops victim.
"""
import struct
import sys
import zlib

CHARSETS = {  # MariaDB name: Python codec
    "big5": "big5",
    "cp932": "cp932",
    "gbk": "gbk",
    "sjis": "shift_jis",
    "euckr": "euc_kr",
    "ujis": "euc_jp",
    "gb2312": "gb2312",
}
FORMATS = ["STATEMENT", "ROW", "MIXED"]
CRAFTED_NAME = b"c\x81`;DROP DATABASE victim;#"
PLACEHOLDER = b"crafted_" + b"a" * (len(CRAFTED_NAME) - len(b"crafted_"))
# A statement of the last binlog, and what the split mode patches it into: two statements,
# the second one dropping a database or failing on a duplicate key (row 1 exists).
SPLIT_TEXT = "INSERT INTO plain.m VALUES (40),(41),(42),(43),(44),(45),(46),(47)"
SPLITS = {
    "drop": "INSERT INTO plain.m VALUES (40);DROP DATABASE victim;#",
    "dup": "INSERT INTO plain.m VALUES (40);INSERT INTO plain.m VALUES (1)",
}


def hostile_char(codec):
    """A CJK character encodable in `codec`; preferably one whose UTF-8 form followed by a
    backquote reads, in `codec`, with the backquote swallowed. (char, swallows)."""
    first = None
    for cp in range(0x4E00, 0x9FA5):
        c = chr(cp)
        try:
            c.encode(codec)
        except UnicodeEncodeError:
            continue
        first = first or c
        try:
            text = (b"g" + c.encode("utf-8") + b"`").decode(codec)
        except UnicodeDecodeError:
            continue
        if "`" not in text:
            return c, True
    return first, False


def char_with_5c(codec):
    """A character whose bytes in `codec` hold 0x5C (a backslash as second byte), or None."""
    for cp in range(0x3000, 0x9FA5):
        try:
            b = chr(cp).encode(codec)
        except UnicodeEncodeError:
            continue
        if len(b) == 2 and b[1] == 0x5C:
            return chr(cp)
    return None


def ident(name):
    return "`" + name.replace("`", "``") + "`"


def ansi_ident(name):
    return '"' + name.replace('"', '""') + '"'


def workload():
    out = bytearray()

    def line(text, codec="utf-8"):
        out.extend(text.encode(codec) + b"\n")

    line("CREATE DATABASE victim;")
    line("CREATE TABLE victim.t (a INT PRIMARY KEY);")
    line("INSERT INTO victim.t VALUES (1);")
    line("CREATE DATABASE plain;")
    # The gbk reading of the crafted name's first bytes: the name `use` would open in gbk.
    line("CREATE DATABASE " + ident(CRAFTED_NAME[:3].decode("gbk")[:2]) + ";")
    line("CREATE DATABASE " + ident(PLACEHOLDER.decode()) + ";")
    # The reproduction, word for word.
    line("CREATE DATABASE `g丁``;CREATE DATABASE pwned_gbk;SELECT 1 AS x丁`;")
    line("\\C gbk")
    line("CREATE DATABASE `g丁``;")
    line("\\C utf8mb4")
    line("USE `g丁``;CREATE DATABASE pwned_gbk;SELECT 1 AS x丁`;")
    line("CREATE TABLE t1 (id INT PRIMARY KEY);")
    line("USE plain;")
    for f in FORMATS:
        fl = f[0].lower()
        line("SET SESSION binlog_format=" + f + ";")
        for cs, codec in CHARSETS.items():
            c, _ = hostile_char(codec)
            h = "g" + c + "`;CREATE DATABASE pwned_" + cs + "_" + fl + ";SELECT 1 AS x" + c
            var = "v" + c + "`;CREATE DATABASE pwned_uv_" + cs + "_" + fl + ";#"
            tbl = "plain.t_" + cs + "_" + fl
            five_c = char_with_5c(codec) or c
            line("CREATE DATABASE " + ident(h) + ";")
            line("\\C " + cs)
            line("CREATE TABLE " + tbl + " (id INT PRIMARY KEY, v VARCHAR(40)) DEFAULT CHARSET=" + cs + ";", codec)
            # 'X\'' in the default sql_mode: X's second byte is 0x5C, the quote is escaped.
            line("INSERT INTO " + tbl + " VALUES (1, '" + five_c + "''" + c + "\\\\');", codec)
            line("\\C utf8mb4")
            line("USE " + ident(h) + ";")
            line("CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(80)) DEFAULT CHARSET=utf8mb4;")
            line("INSERT INTO t1 VALUES (1, 'a');")
            line("\\C " + cs)
            line("SET @" + ident(var) + " = '" + c + "';", codec)
            line("INSERT INTO t1 VALUES (2, @" + ident(var) + ");", codec)
            line("BEGIN;", codec)
            line("INSERT INTO t1 VALUES (3, '" + five_c + "');", codec)
            line("UPDATE t1 SET v = CONCAT(v, '" + c + "') WHERE id = 1;", codec)
            line("COMMIT;", codec)
            line("\\C utf8mb4")
            line("USE plain;")
        # Every special byte, in utf8mb4, under three sql_modes.
        db = "d`'\";*/-- x#" + fl
        tb = ("t`'\";*/-- " + fl).ljust(64, "z")
        col = "c`'\"\n; */-- x"
        var = "u`'\"; */-- " + fl
        full = ident(db) + "." + ident(tb)
        line("SET SESSION sql_mode=DEFAULT;")
        line("CREATE DATABASE " + ident(db) + ";")
        line("CREATE TABLE " + full + " (" + ident(col) + " INT PRIMARY KEY, v VARBINARY(100), w VARCHAR(100));")
        line("INSERT INTO " + full + " VALUES (1, 'a\\0b\\nc\\\\d\\'e\"f`g*/h-- i;j', 'é\\\\\\';-- ');")
        line("SET @" + ident(var) + " = 'p\\'q\\\\r\\0s*/;';")
        line("INSERT INTO " + full + " VALUES (2, @" + ident(var) + ", 'x');")
        line("SET SESSION sql_mode='NO_BACKSLASH_ESCAPES';")
        line("INSERT INTO " + full + " VALUES (3, 'a\\b''c;', 'd\\');")
        line("SET SESSION sql_mode='ANSI_QUOTES';")
        line("INSERT INTO " + ansi_ident(db) + "." + ansi_ident(tb) + " (" + ansi_ident(col) +
             ", v, w) VALUES (4, 'x\\'y', '\"z\"');")
        line("SET SESSION sql_mode=DEFAULT;")
    line("SET SESSION binlog_format=DEFAULT;")
    line("FLUSH BINARY LOGS;")
    line("\\C gbk")
    line("CREATE TABLE plain.g_before (a INT);")
    line("USE " + ident(PLACEHOLDER.decode()) + ";")
    line("CREATE TABLE ct (a INT);")
    line("\\C utf8mb4")
    # The split mode's binlog: statements whose text the test patches (same length).
    line("USE plain;")
    line("FLUSH BINARY LOGS;")
    line("SET SESSION binlog_format=STATEMENT;")
    line("CREATE TABLE IF NOT EXISTS plain.m (a INT PRIMARY KEY);")
    line("BEGIN;")
    for k in (1, 2, 3):
        line(f"INSERT INTO plain.m VALUES ({k});")
    line("COMMIT;")
    line(SPLIT_TEXT + ";")
    return bytes(out)


def patch(data, old, new):
    """Replaces `old` by `new` (as long) in the first event holding it; fixes its CRC32.
    The data and the event's offset."""
    assert len(old) == len(new)
    pos = 4
    while pos + 19 <= len(data):
        size = struct.unpack_from("<I", data, pos + 9)[0]
        event = data[pos:pos + size]
        at = event.find(old)
        if at >= 0:
            event = event[:at] + new + event[at + len(old):]
            event = event[:-4] + struct.pack("<I", zlib.crc32(event[:-4]) & 0xFFFFFFFF)
            return data[:pos] + event + data[pos + size:], pos
        pos += max(size, 19)
    raise SystemExit(f"hostile_names.py: no event holds {old!r}")


def offset_of(data, text):
    """The offset of the first event holding `text`."""
    return patch(data, text, text)[1]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "workload":
        with open(sys.argv[2], "wb") as f:
            f.write(workload())
        for cs, codec in CHARSETS.items():
            c, swallows = hostile_char(codec)
            print(f"{cs}: U+{ord(c):04X} {'closes the name early' if swallows else 'changes the name'}")
        return
    if len(sys.argv) == 4 and sys.argv[1] in ("crafted", "drop", "dup"):
        with open(sys.argv[2], "rb") as f:
            data = f.read()
        if sys.argv[1] == "crafted":
            old = PLACEHOLDER + b"\x00CREATE TABLE ct"
            data, at = patch(data, old, CRAFTED_NAME + old[len(PLACEHOLDER):])
        else:
            new = SPLITS[sys.argv[1]].ljust(len(SPLIT_TEXT), " ")
            data, at = patch(data, SPLIT_TEXT.encode(), new.encode())
        with open(sys.argv[3], "wb") as f:
            f.write(data)
        print(at)
        return
    if len(sys.argv) == 4 and sys.argv[1] == "offset":
        with open(sys.argv[2], "rb") as f:
            print(offset_of(f.read(), sys.argv[3].encode()))
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
