"""Index checks: duplicate and redundant keys with InnoDB semantics (checked against
pt-duplicate-key-checker), and unused indexes from performance_schema."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.mysql.servers import MyServer, findings, report, workload

KEYS = """
    -- left prefixes: ix_a and ix_ab are served by ix_abc
    CREATE TABLE t_prefix (id INT PRIMARY KEY, a INT, b INT, c INT,
                           KEY ix_a (a), KEY ix_ab (a, b), KEY ix_abc (a, b, c));
    -- exact copies of a UNIQUE key: drop the copies, never the unique key
    CREATE TABLE t_dup (id INT PRIMARY KEY, email VARCHAR(100),
                        UNIQUE KEY u_email (email), KEY k1 (email), KEY k2 (email));
    -- InnoDB appends the primary key to every secondary index: (b, id) stores what (b) stores
    CREATE TABLE t_clustered (id INT PRIMARY KEY, b INT, KEY ix_b_id (b, id));
    -- copies of the primary key, one of them declared UNIQUE
    CREATE TABLE t_pkdup (id INT PRIMARY KEY, x INT, KEY ix_id (id), UNIQUE KEY u_id (id));
    -- FULLTEXT keys compare their columns as a set
    CREATE TABLE t_ft (id INT PRIMARY KEY, body TEXT, title VARCHAR(100),
                       FULLTEXT KEY ft1 (title, body), FULLTEXT KEY ft2 (body, title));
    -- a prefix that a foreign key uses: still droppable, the longer key serves the constraint
    CREATE TABLE t_fk_parent (id INT PRIMARY KEY);
    CREATE TABLE t_fk (id INT PRIMARY KEY, parent_id INT, x INT,
                       KEY ix_parent (parent_id), KEY ix_parent_x (parent_id, x),
                       CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES t_fk_parent (id));
    -- no primary key: InnoDB clusters on the first UNIQUE NOT NULL key
    CREATE TABLE t_nopk_unique (code INT NOT NULL, b INT, UNIQUE KEY u_code (code), KEY ix_b_code (b, code));
    -- a unique key containing the primary key enforces nothing more, and ends with the clustered key
    CREATE TABLE t_uniq_implied (id INT PRIMARY KEY, email VARCHAR(100), UNIQUE KEY u_email_id (email, id));
    -- two-column primary key: a prefix, and a suffix made of the whole primary key
    CREATE TABLE t_two_pk (a INT, b INT, c INT, PRIMARY KEY (a, b), KEY ix_c_a (c, a), KEY ix_c_ab (c, a, b));
    -- near misses: nothing here is redundant
    CREATE TABLE t_ok (id INT PRIMARY KEY, a INT, b INT, c INT, KEY ix_a_b (a, b), KEY ix_b (b), KEY ix_c_a (c, a));
    CREATE TABLE t_unique_keep (id INT PRIMARY KEY, a INT, b INT, UNIQUE KEY u_a (a), KEY ix_ab (a, b));
"""
DROP = re.compile(r"^ALTER TABLE `[^`]+`\.`([^`]+)` DROP (?:INDEX|KEY) `([^`]+)`", re.M)


def _pt_dupes(my: MyServer, db: str) -> set[tuple[str, str]]:
    cmd = ["pt-duplicate-key-checker", "--host", my.host, "--port", str(my.port), "--user", my.user,
           "--databases", db]
    if my.password:
        cmd += ["--password", my.password]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(DROP.findall(out.stdout))


def _ours(rep) -> dict[tuple[str, str], object]:
    return {(f.object["table"], f.object["index"]): f for f in rep.findings
            if f.check in ("duplicate_index", "redundant_index")}


@pytest.mark.skipif(not shutil.which("pt-duplicate-key-checker"), reason="Percona Toolkit is not installed "
                    "(apt-get install percona-toolkit)")
def test_every_key_pt_duplicate_key_checker_reports_we_report_and_our_fixes_leave_both_clean(my_db):
    my, db = my_db
    my.run(db, KEYS)
    pt = _pt_dupes(my, db)
    assert len(pt) == 13  # the oracle itself found what the fixture plants
    rep = report(my.dsn(db))
    ours = _ours(rep)
    assert pt <= set(ours), f"pt found, we did not: {pt - set(ours)}"
    # No extra key: on this fixture both tools agree exactly. (The one known disagreement,
    # prefix-length keys, has its own test below.)
    assert set(ours) == pt
    kinds = {k: f.check for k, f in ours.items()}
    assert kinds[("t_dup", "k1")] == kinds[("t_pkdup", "u_id")] == kinds[("t_ft", "ft2")] == "duplicate_index"
    assert kinds[("t_prefix", "ix_a")] == kinds[("t_clustered", "ix_b_id")] == "redundant_index"
    assert ours[("t_clustered", "ix_b_id")].severity == "info"
    assert "ADD INDEX `ix_b_id` (`b`)" in ours[("t_clustered", "ix_b_id")].sql
    assert ("t_dup", "u_email") not in ours and ("t_unique_keep", "u_a") not in ours
    assert not [k for k in ours if k[0] in ("t_ok", "t_unique_keep")]
    # every fix runs (hide first where the server can, then drop or shorten), and afterwards neither
    # tool finds anything: the advice is complete and never drops the last copy of an index
    for f in ours.values():
        my.run(db, f.sql)
    assert _pt_dupes(my, db) == set()
    assert _ours(report(my.dsn(db))) == {}
    assert my.scalar(f"SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{db}' "
                     "AND INDEX_NAME = 'u_email'") == 1


@pytest.mark.skipif(not shutil.which("pt-duplicate-key-checker"), reason="Percona Toolkit is not installed")
def test_prefix_length_keys_are_compared_as_key_parts_not_text(my_db):
    """pt-duplicate-key-checker compares key definitions as text, so it calls KEY(name) "a left-prefix
    of" KEY(name(10)) and would drop the full-column key. dbxray compares key parts: name(10) is
    served by name, not the reverse. EXPLAIN shows why: only the full key covers the query."""
    my, db = my_db
    my.run(db, """
        CREATE TABLE t_prefix_len (id INT PRIMARY KEY, name VARCHAR(100), KEY ix_name10 (name(10)),
                                   KEY ix_name (name));
        INSERT INTO t_prefix_len SELECT seq, CONCAT('name-', seq) FROM seq_1_to_5000;
        ANALYZE TABLE t_prefix_len;
    """)
    assert _pt_dupes(my, db) == {("t_prefix_len", "ix_name")}
    ours = _ours(report(my.dsn(db)))
    assert set(ours) == {("t_prefix_len", "ix_name10")}
    assert ours[("t_prefix_len", "ix_name10")].evidence["index_columns"] == ["name(10)"]
    with my.admin(db) as conn, conn.cursor() as cur:
        cur.execute("EXPLAIN SELECT name FROM t_prefix_len WHERE name = 'name-77'")
        with_full = cur.fetchone()
        cur.execute("EXPLAIN SELECT name FROM t_prefix_len IGNORE INDEX (ix_name) WHERE name = 'name-77'")
        prefix_only = cur.fetchone()
    assert "Using index" in with_full[-1]  # the full key answers from the index alone
    assert "Using index" not in prefix_only[-1]  # the prefix key must read every matching row


def test_unused_index_hit_and_near_misses(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE parent (id INT PRIMARY KEY);
        INSERT INTO parent SELECT seq FROM seq_1_to_100;
        CREATE TABLE events (id INT PRIMARY KEY, kind INT, ref INT, code INT, parent_id INT,
                             KEY ix_kind (kind), KEY ix_ref (ref), UNIQUE KEY u_code (code),
                             KEY ix_parent (parent_id),
                             CONSTRAINT fk_events_parent FOREIGN KEY (parent_id) REFERENCES parent (id));
        INSERT INTO events SELECT seq, seq % 10, seq, seq, 1 + seq % 100 FROM seq_1_to_3000;
        CREATE TABLE untouched (id INT PRIMARY KEY, v INT, KEY ix_v (v));
    """)
    workload(my, db, [("SELECT COUNT(*) FROM events WHERE kind = %s", (3,)),
                      ("SELECT * FROM events WHERE id = %s", (5,))], repeat=5)
    rep = report(my.dsn(db), unused_index={"min_bytes": 0, "min_stats_days": 0})
    unused = {f.object["index"]: f for f in findings(rep, "unused_index")}
    assert "ix_ref" in unused
    f = unused["ix_ref"]
    assert f.severity == "warning" and f.evidence["source"] == "performance_schema"
    assert f.evidence["io_count"] == 0 and f.evidence["table_reads_since_startup"] > 0
    assert "stats_age" in f.evidence and "DROP INDEX `ix_ref`" in f.sql and "IGNORED" in f.sql
    assert "undo: ALTER TABLE" in f.sql and "ADD INDEX `ix_ref` (`ref`)" in f.sql
    # near misses: the used index, PRIMARY and UNIQUE keys, a table nothing read
    assert "ix_kind" not in unused and "PRIMARY" not in unused and "u_code" not in unused
    assert "ix_v" not in unused
    # the only index of a foreign key cannot be dropped: reported as info, without DROP
    assert unused["ix_parent"].severity == "info" and unused["ix_parent"].sql is None
    assert unused["ix_parent"].evidence["needed_by_foreign_keys"] == ["fk_events_parent"]
    # young statistics (default min_stats_days = 7) never make it more than info
    rep = report(my.dsn(db), unused_index={"min_bytes": 0})
    assert {f.severity for f in findings(rep, "unused_index")} == {"info"}
    # and the default size floor (1 MB) leaves these tiny indexes alone
    assert not findings(report(my.dsn(db)), "unused_index")
