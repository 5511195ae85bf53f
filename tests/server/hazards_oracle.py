#!/usr/bin/env python3
"""The real-server side of hazards_oracle.sh: the workload, the truth table and the
comparison with `binlogkit hazards`. See hazards_oracle.sh for what is checked and the
facts about what MariaDB 10.11 writes.

  hazards_oracle.py workload SANDBOX SOURCE_DIR LOAD_FILE LOCAL_FILE
  hazards_oracle.py check BINLOGKIT SANDBOX SOURCE_DIR TARGET_DIR BINLOG WORK_DIR

workload: runs the interleaved sessions on the source (each statement waits for the one
before it, whichever connection ran it, so the binlog's order is the script's order).
check: for every point P of BINLOG (each GTID event, and each Append_block and
Execute_load_query after a Begin_load_query), the starting state is built on the target
(`mariadb-binlog --stop-position=P | mariadb`), the rest applied in a new session
(`mariadb-binlog --start-position=P | mariadb`) and every table's CHECKSUM compared with
the source's. Prints the table and exits 1 on any point where `binlogkit hazards --at P`
disagrees with the server, 77 when BINLOGKIT has no hazards command (the script fails then).
"""
import json
import os
import re
import struct
import subprocess
import sys
import time

DATABASES = ("app", "aux")

# Event type codes (MySQL/MariaDB binlog format) and MariaDB GTID flags2 bits.
QUERY = 2
APPEND_BLOCK = 9
XID = 16
BEGIN_LOAD_QUERY = 17
EXECUTE_LOAD_QUERY = 18
GTID = 162
FL_STANDALONE = 1
FL_TRANSACTIONAL = 4
BLOCKING_KINDS = ("temporary_table", "load_data")
SKIPPED = 77  # the truth table made, nothing to compare it with


def die(msg):
    sys.exit("hazards_oracle: " + msg)


class Session:
    """One client connection kept open; run() returns once the statement has finished."""

    def __init__(self, sandbox, directory, name):
        self.name = name
        self.count = 0
        self.proc = subprocess.Popen(
            [sandbox, "sql", directory, "--batch", "--skip-column-names", "--unbuffered",
             "--local-infile=1"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.conn_id = self.run("SELECT CONNECTION_ID();")[0]

    def run(self, statement):
        """Runs one statement; returns its output lines. Any error ends the test."""
        self.count += 1
        marker = "sync-%s-%d" % (self.name, self.count)
        self.proc.stdin.write(statement + "\nSELECT '" + marker + "';\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read()
                die("session %s failed at: %s\n%s" % (self.name, statement, err))
            line = line.rstrip("\n")
            if line == marker:
                return lines
            lines.append(line)

    def close(self, waiter):
        """Disconnects and waits until the server has ended the connection (and written
        the DROP of its temporary tables)."""
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            die("session %s exited with %d: %s" % (self.name, self.proc.returncode,
                                                   self.proc.stderr.read()))
        for _ in range(300):
            left = waiter.run("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                              "WHERE ID = %s;" % self.conn_id)
            if left == ["0"]:
                return
            time.sleep(0.05)
        die("connection %s of session %s did not end" % (self.conn_id, self.name))


def workload(sandbox, source, load_file, local_file):
    """The interleaved workload (about 40 transactions) in two phases, so that each kind
    of hazard has points of its own. First, with no temporary table: C's LOAD DATA INFILE
    (InnoDB) and LOAD DATA LOCAL INFILE (MyISAM) between B's transactions, a rolled-back
    transaction with MyISAM changes, an XA transaction prepared by C, which disconnects,
    and committed by D later. Then A and B each create a temporary table t_a (same name,
    two threads) and use it many transactions later; B drops its t_a, A disconnects with
    t_a and t_b open."""
    s = {n: Session(sandbox, source, n) for n in "ABCD"}
    C, D = s["C"], s["D"]
    C.run("CREATE DATABASE app; CREATE DATABASE aux;")
    C.run("CREATE TABLE app.inno (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB;")
    C.run("CREATE TABLE app.myi (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=MyISAM;")
    C.run("CREATE TABLE app.li (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB;")
    C.run("CREATE TABLE app.lm (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=MyISAM;")
    C.run("CREATE TABLE aux.notes (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB;")
    for n in "ABC":
        s[n].run("USE app;")
    D.run("USE aux;")
    without_temp_tables(s, load_file, local_file)
    with_temp_tables(s)
    D.close(_Direct(sandbox, source))


def without_temp_tables(s, load_file, local_file):
    B, C, D = s["B"], s["C"], s["D"]
    B.run("INSERT INTO inno VALUES (1, 'b1');")
    C.run("LOAD DATA INFILE '%s' INTO TABLE li;" % load_file)
    B.run("BEGIN; INSERT INTO inno VALUES (2, 'b2'); UPDATE inno SET v = 'b2x' WHERE id = 2; COMMIT;")
    C.run("LOAD DATA LOCAL INFILE '%s' INTO TABLE lm;" % local_file)
    B.run("INSERT INTO myi VALUES (1, 'm1');")
    C.run("BEGIN; INSERT INTO inno VALUES (50, 'rb'); INSERT INTO myi VALUES (50, 'rb'); ROLLBACK;")
    C.run("XA START 'x1'; INSERT INTO inno VALUES (60, 'xa'); XA END 'x1'; XA PREPARE 'x1';")
    C.close(D)
    B.run("INSERT INTO inno VALUES (3, 'b3');")
    D.run("INSERT INTO notes VALUES (1, 'n1');")
    D.run("XA COMMIT 'x1';")
    B.run("INSERT INTO inno VALUES (4, 'b4');")


def with_temp_tables(s):
    A, B, D = s["A"], s["B"], s["D"]
    A.run("CREATE TEMPORARY TABLE t_a (id INT PRIMARY KEY, v VARCHAR(20));")
    A.run("INSERT INTO t_a VALUES (1, 'a1'), (2, 'a2');")
    B.run("INSERT INTO inno VALUES (5, 'b5');")
    B.run("BEGIN; INSERT INTO inno VALUES (6, 'b6'); UPDATE inno SET v = 'b6x' WHERE id = 6; COMMIT;")
    B.run("INSERT INTO myi VALUES (2, 'm2');")
    A.run("INSERT INTO inno SELECT id + 100, v FROM t_a;")
    B.run("CREATE TEMPORARY TABLE t_a (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=MyISAM;")
    B.run("INSERT INTO t_a VALUES (7, 'b7');")
    A.run("INSERT INTO t_a VALUES (3, 'a3');")
    D.run("INSERT INTO notes VALUES (2, 'n2');")
    B.run("INSERT INTO inno SELECT id + 200, v FROM t_a;")
    A.run("UPDATE inno SET v = CONCAT(v, '+') WHERE id IN (SELECT id + 100 FROM t_a);")
    B.run("INSERT INTO inno VALUES (8, 'b8');")
    # Unsafe for statement logging (LIMIT): a row event in MIXED, a statement in STATEMENT.
    A.run("INSERT INTO myi SELECT id + 300, v FROM t_a LIMIT 2;")
    B.run("DROP TEMPORARY TABLE t_a;")
    B.run("INSERT INTO aux.notes VALUES (3, 'n3');")
    A.run("INSERT INTO aux.notes SELECT id + 400, v FROM app.t_a;")
    A.run("CREATE TEMPORARY TABLE IF NOT EXISTS t_b (id INT);")
    A.run("INSERT INTO t_b VALUES (1);")
    B.run("INSERT INTO inno VALUES (9, 'b9');")
    A.close(D)
    B.run("INSERT INTO inno VALUES (10, 'b10');")
    B.close(D)
    D.run("INSERT INTO notes VALUES (4, 'n4');")


class _Direct:
    """A waiter for the last close: one query per call."""

    def __init__(self, sandbox, directory):
        self.sandbox, self.directory = sandbox, directory

    def run(self, statement):
        return query(self.sandbox, self.directory, statement)


def query(sandbox, directory, statement):
    p = subprocess.run([sandbox, "sql", directory, "--batch", "--skip-column-names", "-e",
                        statement], capture_output=True, text=True)
    if p.returncode != 0:
        die("query failed on %s: %s\n%s" % (directory, statement, p.stderr))
    return p.stdout.splitlines()


class Point:
    """A point of the binlog and what the server and binlogkit say about it."""

    def __init__(self, pos, label, execute_pos=None):
        self.pos, self.label, self.execute_pos = pos, label, execute_pos
        self.ok, self.reason, self.missing = True, "", None
        self.hazards, self.kinds = [], []


def points(binlog):
    """Every GTID event; every Append_block and Execute_load_query of a LOAD DATA (after
    its Begin_load_query, with the Execute_load_query's position); and inside a group
    whose GTID lacks FL_TRANSACTIONAL and FL_STANDALONE, every Query or Xid event but
    the first event of the group. From the common headers and the GTID's flags byte
    (body: seq_no 8, domain_id 4, flags2 1) alone."""
    data = open(binlog, "rb").read()
    out, off, load, in_group = [], 4, None, None
    while off + 19 <= len(data):
        ev_type = data[off + 4]
        length = struct.unpack_from("<I", data, off + 9)[0]
        if length < 19 or off + length > len(data) or (ev_type == GTID and length < 32):
            die("bad event length %d at %s:%d" % (length, binlog, off))
        if ev_type == GTID:
            out.append(Point(off, "gtid"))
            flags2 = data[off + 19 + 12]
            in_group = 0 if not flags2 & (FL_STANDALONE | FL_TRANSACTIONAL) else None
            off += length
            continue
        if ev_type == BEGIN_LOAD_QUERY:
            load = []
        elif ev_type == APPEND_BLOCK and load is not None:
            load.append(Point(off, "append_block"))
        elif ev_type == EXECUTE_LOAD_QUERY and load is not None:
            load.append(Point(off, "execute_load"))
            for p in load:
                p.execute_pos = off
            out += load
            load = None
        elif ev_type in (QUERY, XID) and in_group:
            out.append(Point(off, "in_group"))
        if in_group is not None:
            in_group += 1
        off += length
    if off != len(data):
        die("%s: %d trailing bytes at %d" % (binlog, len(data) - off, off))
    return out


MISSING_TABLE = re.compile(r"^ERROR (1146|1051) \(42S02\) at line (\d+): "
                           r"(?:Table|Unknown table) '([^.']+)\.([^']+)'", re.MULTILINE)


def missing_table(error_text, script):
    """For a replay that stopped on a missing table (1146, or 1051 from a DROP): the
    table, and from the script mariadb-binlog printed, the position of the event that
    needed it (the last "# at" before the failing line) and the pseudo_thread_id it ran
    under. None for other errors."""
    m = MISSING_TABLE.search(error_text)
    if not m:
        return None
    line_no = int(m.group(2))
    pos = thread = None
    for line in script.splitlines()[:line_no]:
        if line.startswith("# at "):
            pos = int(line[5:])
        elif line.startswith("SET @@session.pseudo_thread_id="):
            thread = int(re.match(r"SET @@session.pseudo_thread_id=(\d+)", line).group(1))
    return {"schema": m.group(3), "table": m.group(4), "pos": pos, "thread": thread}


def short(text):
    """A tool's messages on one line: the ERROR and WARNING lines once each (else all)."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    keep = [l for l in lines if l.startswith(("ERROR", "WARNING"))] or lines
    return " | ".join(dict.fromkeys(keep))


class Target:
    def __init__(self, sandbox, directory, binlog, load_dir, tables):
        self.sandbox, self.directory, self.binlog = sandbox, directory, binlog
        self.load_dir, self.tables = load_dir, tables

    def reset(self):
        """The target back to an empty state: no prepared XA, no workload databases."""
        for line in query(self.sandbox, self.directory, "XA RECOVER;"):
            fields = line.split("\t")
            query(self.sandbox, self.directory, "XA ROLLBACK '%s';" % fields[3])
        query(self.sandbox, self.directory, "SET SESSION lock_wait_timeout = 20; " +
              " ".join("DROP DATABASE IF EXISTS %s;" % d for d in DATABASES))

    def pipe(self, position_option):
        """mariadb-binlog OPTION FILE | mariadb in a new session; returns (the errors,
        the SQL script mariadb-binlog printed, what mariadb said on stderr)."""
        dump = subprocess.run(["mariadb-binlog", "--no-defaults", position_option,
                               "--local-load=" + self.load_dir, self.binlog],
                              capture_output=True, text=True, errors="surrogateescape")
        errors = []
        if dump.returncode != 0 or dump.stderr.strip():
            errors.append("mariadb-binlog: " + short(dump.stderr))
        if not dump.stdout.strip():
            errors.append("mariadb-binlog printed nothing")
        apply = subprocess.run([self.sandbox, "sql", self.directory, "--local-infile=1",
                                "--batch"], input=dump.stdout, capture_output=True, text=True,
                               errors="surrogateescape")
        if apply.returncode != 0 or apply.stderr.strip():
            errors.append(short(apply.stderr))
        return errors, dump.stdout, apply.stderr

    def checksums(self):
        listed = query(self.sandbox, self.directory,
                       "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM "
                       "information_schema.TABLES WHERE TABLE_SCHEMA IN (%s) ORDER BY 1;"
                       % ", ".join("'%s'" % d for d in DATABASES))
        if listed != self.tables:
            return ["tables " + ",".join(listed)]
        return query(self.sandbox, self.directory,
                     "CHECKSUM TABLE %s EXTENDED;" % ", ".join(self.tables))

    def judge(self, point, expected):
        """Sets point.ok, point.reason and point.missing for a split at point.pos."""
        self.reset()
        errors, _, _ = self.pipe("--stop-position=%d" % point.pos)
        rest_errors, script, apply_err = self.pipe("--start-position=%d" % point.pos)
        errors += rest_errors
        if errors:
            point.ok, point.reason = False, "; ".join(errors)
            point.missing = missing_table(apply_err, script)
            return
        got = self.checksums()
        if got != expected:
            diff = [g for g in got if g not in expected]
            point.ok, point.reason = False, "checksum differs: " + "; ".join(diff)[:200]


def our_hazards(binlogkit, binlog, point):
    """Sets point.hazards and point.kinds from `binlogkit hazards BINLOG --at POS
    --json`; returns a mismatch text if the command failed or its answer is malformed."""
    p = subprocess.run([binlogkit, "hazards", binlog, "--at", str(point.pos), "--json"],
                       capture_output=True, text=True)
    if p.returncode not in (0, 1):
        return "exit %d: %s" % (p.returncode, p.stderr.strip()[:200])
    try:
        point.hazards = json.loads(p.stdout)["hazards"]
        point.kinds = sorted({h["kind"] for h in point.hazards})
    except (ValueError, KeyError, TypeError) as e:
        return "bad --json output (%s): %s" % (e, p.stdout[:200])
    if (p.returncode == 1) != bool(point.hazards):
        return "exit %d with %d hazards" % (p.returncode, len(point.hazards))
    return ""


def needed_at(hazard):
    needed = hazard.get("needed_by")
    return needed.get("pos") if isinstance(needed, dict) else None


def compare_details(point):
    """Where the server names what was missing: the hazard for it must name the same
    table, thread and first event needing it (temporary tables), or the same
    Execute_load_query (LOAD DATA)."""
    if point.missing:
        m = point.missing
        same = [h for h in point.hazards if h.get("kind") == "temporary_table"
                and h.get("schema") == m["schema"] and h.get("table") == m["table"]]
        if not same:
            return "no temporary_table hazard for %s.%s, which the server lacks" % (
                m["schema"], m["table"])
        if not any(h.get("pseudo_thread_id") == m["thread"] and needed_at(h) == m["pos"]
                   for h in same):
            return "%s.%s: the server needs it at %s (pseudo_thread_id %s), ours say %s" % (
                m["schema"], m["table"], m["pos"], m["thread"],
                [(h.get("pseudo_thread_id"), needed_at(h)) for h in same])
    if point.execute_pos is not None and not any(
            h.get("kind") == "load_data" and needed_at(h) == point.execute_pos
            for h in point.hazards):
        return "no load_data hazard needed by the Execute_load_query at %d" % point.execute_pos
    return ""


def compare(point):
    """The mismatch at one point, or "" when binlogkit agrees with the server."""
    blocking = [k for k in point.kinds if k in BLOCKING_KINDS]
    if point.ok and blocking:
        return "reports %s, the server resumes here cleanly" % ",".join(blocking)
    if not point.ok and not blocking:
        if point.label == "in_group" and not point.missing and "non_transactional" in point.kinds:
            return ""  # a group split: what the first part did is lost or kept, as warned
        return "reports no temporary_table/load_data hazard, the server fails here"
    if not point.ok and "XA" in point.reason and "xa_prepared" not in point.kinds:
        return "an XA error and no xa_prepared hazard"
    if point.ok and point.label == "gtid" and "non_transactional" in point.kinds:
        return "non_transactional between two groups, the server resumes here cleanly"
    return "" if point.ok else compare_details(point)


def check(binlogkit, sandbox, source, target_dir, binlog, work):
    tables = query(sandbox, source,
                   "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES "
                   "WHERE TABLE_SCHEMA IN (%s) ORDER BY 1;" % ", ".join("'%s'" % d for d in DATABASES))
    if not tables:
        die("no tables on the source")
    expected = query(sandbox, source, "CHECKSUM TABLE %s EXTENDED;" % ", ".join(tables))
    load_dir = os.path.join(work, "load")
    os.makedirs(load_dir, exist_ok=True)
    target = Target(sandbox, target_dir, binlog, load_dir, tables)
    probe = subprocess.run([binlogkit, "hazards"], capture_output=True, text=True)
    have_cmd = "unknown command" not in probe.stderr
    if not have_cmd:
        print("hazards_oracle: this binlogkit has no `hazards` command; truth table only")
    pts = points(binlog)
    print("%-8s %-13s %-8s %-30s %s" % ("P", "point", "server", "ours", "server error"))
    mismatches = []
    started = time.monotonic()
    for point in pts:
        target.judge(point, expected)
        mismatch = (our_hazards(binlogkit, binlog, point) or compare(point)) if have_cmd else ""
        print("%-8d %-13s %-8s %-30s %s%s" % (point.pos, point.label,
                                             "ok" if point.ok else "FAILS",
                                             ",".join(point.kinds) or "-", point.reason,
                                             needs(point)))
        if mismatch:
            mismatches.append("%d (%s): %s" % (point.pos, point.label, mismatch))
    print("hazards_oracle: %d points judged in %.1f s" % (len(pts), time.monotonic() - started))
    sanity(pts)
    if mismatches:
        print("hazards_oracle: binlogkit disagrees with the server at:")
        for m in mismatches:
            print("  " + m)
        sys.exit(1)
    if not have_cmd:
        print("hazards_oracle: no comparison made: this binlogkit has no `hazards` command")
        sys.exit(SKIPPED)


def needs(point):
    """What the failing replay lacked, as the table shows it."""
    m = point.missing
    if m:
        return " [%s.%s needed at %s by pseudo_thread_id %s]" % (
            m["schema"], m["table"], m["pos"], m["thread"])
    if not point.ok and point.execute_pos is not None:
        return " [LOAD DATA needed at %d]" % point.execute_pos
    return ""


def sanity(pts):
    """The truth table must have both verdicts and the failures the workload is made of."""
    failing = sum(not p.ok for p in pts)
    print("hazards_oracle: %d points, %d fail on the server" % (len(pts), failing))
    sys.stdout.flush()
    if failing == 0 or failing == len(pts):
        die("the truth table is degenerate (%d of %d points fail)" % (failing, len(pts)))
    located = [p for p in pts if p.missing and p.missing["pos"] and p.missing["thread"]]
    if not located:
        die("no point fails for want of a temporary table located in the script: "
            "the workload or mariadb-binlog's output changed")


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "workload":
        workload(*sys.argv[2:6])
    elif len(sys.argv) == 8 and sys.argv[1] == "check":
        check(*sys.argv[2:8])
    else:
        die("usage: see the header of this file")


if __name__ == "__main__":
    main()
