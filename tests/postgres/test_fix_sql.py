"""The fix SQL of every table-level finding runs as given, and the finding is gone afterwards.

(The other checks' fixes are executed in their own test modules: missing_fk_index, redundant and
duplicate indexes, vacuum_overdue, missing_primary_key, sequence_exhaustion, xid_wraparound_risk,
superuser_role, long_running_query.)
"""

from __future__ import annotations

import psycopg

from tests.postgres.helpers import findings, flush_stats, report
from tests.servers import RESET_THIS_DATABASE


def run_fix(conn: psycopg.Connection, sql: str) -> None:
    """Run each statement of a finding's ``sql``: comment lines are skipped (undo, alternatives)."""
    for line in sql.splitlines():
        statement = line.split("  --")[0].strip()
        if statement and not statement.startswith("--"):
            conn.execute(statement)


def test_unused_index_drop_runs_and_its_undo_recreates_it(pg_db):
    pg, name = pg_db
    pg.run(name, """
        CREATE TABLE t (id int PRIMARY KEY, a text);
        INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 40000) g;
        CREATE INDEX t_a ON t (a);
    """)
    (f,) = findings(report(pg.dsn(name)), "unused_index", index="t_a")
    with pg.connect(name) as conn:
        run_fix(conn, f.sql)
        assert not conn.execute("SELECT 1 FROM pg_indexes WHERE indexname = 't_a'").fetchone()
        undo = next(line for line in f.sql.splitlines() if line.startswith("-- undo: "))[len("-- undo: "):]
        conn.execute(undo)
        assert conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 't_a'").fetchone()


def test_invalid_index_alternative_drop_runs(pg_db):
    pg, name = pg_db
    pg.run(name, "CREATE TABLE t (id int PRIMARY KEY, code int); INSERT INTO t SELECT g, g % 3 FROM "
                 "generate_series(1, 100) g")
    with pg.connect(name) as conn:
        try:
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY t_code ON t (code)")
        except psycopg.errors.UniqueViolation:
            pass
    (f,) = findings(report(pg.dsn(name)), "invalid_index", index="t_code")
    drop = next(line for line in f.sql.splitlines() if "DROP INDEX" in line).split(": ", 1)[1]
    with pg.connect(name) as conn:
        conn.execute(drop)
    assert not findings(report(pg.dsn(name)), "invalid_index")


def test_table_bloat_vacuum_full_and_analyze_fixes(pg_db):
    pg, name = pg_db
    pg.run(name, """
        CREATE TABLE churn (id int PRIMARY KEY, qty int, note text) WITH (autovacuum_enabled = false);
        INSERT INTO churn SELECT g, 0, repeat('n', 60) FROM generate_series(1, 40000) g;
    """)
    with pg.connect(name) as conn:
        for _ in range(3):
            conn.execute("UPDATE churn SET qty = qty + 1")
        conn.execute("VACUUM ANALYZE churn")
        conn.execute("INSERT INTO churn SELECT g, 0, 'x' FROM generate_series(40001, 60000) g")
        flush_stats(conn)
    rep = report(pg.dsn(name), table_bloat={"min_bytes": 1048576})
    (bloat,) = findings(rep, "table_bloat", table="churn")
    (stale,) = findings(rep, "analyze_overdue", table="churn")
    with pg.connect(name) as conn:
        run_fix(conn, stale.sql)
        run_fix(conn, bloat.sql)
        flush_stats(conn)
    after = report(pg.dsn(name), table_bloat={"min_bytes": 1048576})
    assert not findings(after, "table_bloat", table="churn")
    assert not findings(after, "analyze_overdue", table="churn")


def test_temp_spill_role_setting_keeps_the_sort_in_memory(pg_db):
    pg, name = pg_db
    pg.run(name, f"""
        CREATE EXTENSION pg_stat_statements;
        DROP ROLE IF EXISTS reporter;
        CREATE ROLE reporter LOGIN;
        ALTER ROLE reporter SET work_mem = '64kB';
        GRANT CONNECT ON DATABASE {name} TO reporter;
        CREATE TABLE big AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 150000) g;
        GRANT SELECT ON big TO reporter;
    """)
    try:
        def run_report_query() -> int:
            with psycopg.connect(pg.dsn(name, user="reporter"), autocommit=True) as conn:
                for _ in range(3):
                    conn.execute("SELECT * FROM big ORDER BY h").fetchall()
                return conn.execute("SELECT temp_files FROM pg_stat_database WHERE datname = current_database()"
                                    ).fetchone()[0]

        run_report_query()
        (f,) = [f for f in findings(report(pg.dsn(name)), "temp_spill") if f.object.get("role") == "reporter"]
        assert f.sql.startswith("ALTER ROLE reporter SET work_mem")
        with pg.connect(name) as conn:
            run_fix(conn, f.sql)
            conn.execute(RESET_THIS_DATABASE)
        run_report_query()
        assert not [f for f in findings(report(pg.dsn(name)), "temp_spill") if f.object.get("role") == "reporter"]
    finally:
        pg.drop_database(name)
        with pg.connect() as conn:
            conn.execute("DROP ROLE IF EXISTS reporter")


def test_public_schema_revoke_runs(pg_db):
    pg, name = pg_db
    pg.run(name, "GRANT CREATE ON SCHEMA public TO PUBLIC")
    (f,) = findings(report(pg.dsn(name)), "public_schema_create")
    with pg.connect(name) as conn:
        run_fix(conn, f.sql)
    assert not findings(report(pg.dsn(name)), "public_schema_create")
