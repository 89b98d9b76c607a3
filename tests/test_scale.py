"""Every collector's cost grows linearly with the catalog, whatever the catalog statistics say.

A schema created in bulk leaves the system catalogs with the statistics they had when the database
was created (autovacuum off here, as on a server after a bulk migration before autovacuum catches
up): the planner then estimates one sequence where there are thousands, and a join planned on that
estimate loops over one catalog for every row of another. The old ``sequences`` collector took 50 s
on 10,000 tables that way.

Each engine gets a throwaway server and two databases built the same way in bulk, one SMALL and
one 4x larger, spread over schemas of 50 tables (the multi-tenant shape: a join looping over the
schemas is caught too), never ANALYZEd at the catalog level. Every collector dbxray would run there
is timed on both, median of three runs, and the larger one must cost less than ``MAX_RATIO`` times
the smaller (4x is linear, 16x quadratic).

What is timed is CPU time, the server's (the backend process, or the MariaDB connection's thread,
from /proc) plus this process's (fetching and decoding the rows): other jobs share this 2-core
machine and turn wall-clock ratios into noise, while a quadratic plan burns CPU wherever it runs.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pytest

from dbxray.collect import ServerContext, choose, load_specs, query_collector

SMALL = 600  # PostgreSQL tables in the small catalog; the large one has FACTOR times as many
MY_SMALL = 400  # MariaDB's (its DDL is slower to build)
FACTOR = 4
TABLES_PER_SCHEMA = 50
MAX_RATIO = 8.0  # linear is FACTOR (4x), quadratic FACTOR**2 (16x): half of quadratic, since CPU time too grows
# under a second test worker on 2 cores (caches shared: 'indexes' measured 7.5x once there, 3.7x alone)
FLOOR_S = 0.03  # a collector cheaper than this on the small catalog is compared with this floor
RUNS = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(stat_path: str) -> float:
    """utime + stime (seconds) of a process or thread from its /proc stat file."""
    fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cost(run, stat_path: str) -> float:
    """Server CPU (the process or thread at ``stat_path``) + client CPU of ``run()``, in seconds."""
    s0, c0 = proc_cpu(stat_path), time.process_time()
    run()
    return proc_cpu(stat_path) - s0 + time.process_time() - c0


def median_costs(specs, session, stat_path: str) -> dict[str, float]:
    """Each collector run as dbxray runs it (``query_collector``: pages included), median of RUNS."""
    out = {}
    for metric, spec in specs.items():
        out[metric] = statistics.median(cost(lambda s=spec: query_collector(session, s), stat_path)
                                        for _ in range(RUNS))
    return out


def assert_linear(small: dict[str, float], large: dict[str, float], engine: str, n: int) -> dict[str, float]:
    ratios = {m: large[m] / max(small[m], FLOOR_S) for m in small}
    detail = ", ".join(f"{m} {small[m]:.3f}->{large[m]:.3f} s ({ratios[m]:.1f}x)"
                       for m in sorted(ratios, key=lambda m: -ratios[m]))
    print(f"\n{engine} collector CPU, {n} -> {n * FACTOR} tables: {detail}")
    worse = {m: r for m, r in ratios.items() if r >= MAX_RATIO}
    assert not worse, (f"{engine}: collectors whose cost grew faster than linearly from {n} to "
                       f"{n * FACTOR} tables (limit {MAX_RATIO}x): {worse}; all: {detail}")
    return ratios


# -- PostgreSQL -----------------------------------------------------------------------------------

def _pg_build(sandbox, database: str, tables: int, batch: int = 100) -> None:
    """Tables in bulk, as a migration makes them: bigserial key (an owned sequence), two indexes, a
    foreign key on every other table, a few rows, each table ANALYZEd on its own (pg_stats has rows for
    the bloat estimates); the system catalogs are never analysed."""
    import psycopg

    sandbox.psql(f"CREATE DATABASE {database}")
    with psycopg.connect(sandbox.dsn(database), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
        for s in range(tables // TABLES_PER_SCHEMA):
            conn.execute(f"CREATE SCHEMA s{s:03d}")
        for start in range(0, tables, batch):
            ddl = []
            for i in range(start, min(start + batch, tables)):
                name = f"s{i // TABLES_PER_SCHEMA:03d}.t{i:05d}"
                fk = f" REFERENCES s{(i - 1) // TABLES_PER_SCHEMA:03d}.t{i - 1:05d} (id)" if i % 2 else ""
                ddl.append(
                    f"CREATE TABLE {name} (id bigserial PRIMARY KEY, parent_id bigint{fk}, a int NOT NULL, "
                    f"b int, note text); CREATE INDEX ON {name} (parent_id); CREATE INDEX ON {name} (a, b); "
                    f"INSERT INTO {name} (a, b, note) SELECT g, g % 3, 'r' FROM generate_series(1, 3) g; "
                    f"ANALYZE {name};")
            with conn.transaction():
                conn.execute("".join(ddl))


@pytest.fixture(scope="module")
def pg_catalogs():
    from dbxray.demo.sandbox import PostgresSandbox, find_postgres_bindir

    if find_postgres_bindir() is None:
        pytest.skip("needs PostgreSQL server binaries for a throwaway cluster")
    sandbox = PostgresSandbox(fast=True, settings={"autovacuum": "off", "max_locks_per_transaction": "512"})
    sandbox.start()
    try:
        _pg_build(sandbox, "small", SMALL)
        _pg_build(sandbox, "large", SMALL * FACTOR)
        yield sandbox
    finally:
        sandbox.stop()


def _pg_costs(dsn: str) -> dict[str, float]:
    from dbxray.connect import connect
    from dbxray.engines.postgres import ENGINE

    with connect(dsn) as session:
        for stmt in ENGINE.collection_settings:
            session.query(stmt)
        extensions = dict(session.query("SELECT extname, extversion FROM pg_extension")[1])
        ctx = ServerContext("postgres", session.version_num, "postgres", extensions, is_superuser=True)
        specs = {m: s for m, s in choose(load_specs("postgres"), ctx).items() if not isinstance(s, str)}
        stat = f"/proc/{session.conn.info.backend_pid}/stat"
        return median_costs(specs, session, stat)


def test_postgres_collectors_scale_linearly_on_stale_catalog_statistics(pg_catalogs):
    small = _pg_costs(pg_catalogs.dsn("small"))
    large = _pg_costs(pg_catalogs.dsn("large"))
    assert {"tables", "indexes", "sequences", "foreign_keys", "table_bloat"} <= set(small)
    # the large catalog really is 4x the small one, and its catalog statistics really are stale
    import psycopg

    with psycopg.connect(pg_catalogs.dsn("large")) as conn:
        seqs, estimated, actual = conn.execute(
            "SELECT (SELECT count(*) FROM pg_sequence), "
            "(SELECT reltuples FROM pg_class WHERE oid = 'pg_class'::regclass), "
            "(SELECT count(*) FROM pg_class)").fetchone()
    assert seqs == SMALL * FACTOR and estimated < actual / 4
    # sanity: the large catalog costs more in total (a test of nothing would see equal costs)
    assert sum(large.values()) > 1.5 * sum(small.values())
    assert_linear(small, large, "PostgreSQL", SMALL)


def test_postgres_sizes_exact_for_the_largest_tables_estimated_for_the_rest(pg_catalogs):
    """On a catalog of more than 1,000 tables only the 1,000 largest get exact sizes (the size functions
    open every file of every relation); the others are estimated from relpages and say so. A table grown
    since its relpages were measured (never re-analysed) still ranks as large and gets its exact size."""
    import psycopg

    from dbxray.config import Config
    from dbxray.pipeline import analyze_snapshot, collect_snapshot

    dsn = pg_catalogs.dsn("large")
    with psycopg.connect(dsn, autocommit=True) as conn:  # closed: its row counts reach the statistics
        conn.execute("INSERT INTO s000.t00002 (a, b, note) SELECT g, g, repeat('x', 200) "
                     "FROM generate_series(1, 20000) g")
        exact = dict(conn.execute(
            "SELECT c.oid::bigint, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname LIKE 's%'"
        ).fetchall())
    time.sleep(1.5)  # the cumulative statistics are flushed by the backend within a second
    snap = collect_snapshot(dsn, only={"tables", "indexes", "sequences"})
    # sequences come in pages of 2,000 (a lock per sequence read, released page by page): all of them,
    # once each, every one with the column it feeds
    seqs = snap["sequences"]
    assert len(seqs) == SMALL * FACTOR == seqs["oid"].nunique() and seqs["column"].eq("id").all()
    assert (seqs["table"] + "_id_seq").eq(seqs["sequence"]).all() and seqs["last_value"].notna().all()
    tables = snap["tables"]
    assert len(tables) == SMALL * FACTOR
    assert int(tables["size_exact"].sum()) == 1000
    grown = tables[tables["table"] == "t00002"].iloc[0]
    assert bool(grown["size_exact"]) and grown["total_bytes"] == exact[grown["relid"]] > 4_000_000
    estimated = tables[~tables["size_exact"].astype(bool)]
    ratio = estimated["total_bytes"] / estimated["relid"].map(exact)
    assert ratio.between(0.5, 2.0).all(), ratio.describe()
    assert (tables[tables["size_exact"].astype(bool)]["total_bytes"]
            == tables[tables["size_exact"].astype(bool)]["relid"].map(exact)).all()
    indexes = snap["indexes"]
    assert int(indexes["size_exact"].sum()) == 2000 and len(indexes) == 3 * SMALL * FACTOR
    report = analyze_snapshot(snap, config=Config())
    notes = [n for n in report.notes if "estimated from relpages" in n]
    assert len(notes) == 2 and f"sizes of {SMALL * FACTOR - 1000} of {SMALL * FACTOR} tables" in notes[0]
    # the small catalog: every size exact, no note
    small = collect_snapshot(pg_catalogs.dsn("small"), only={"tables", "indexes"})
    assert small["tables"]["size_exact"].all() and small["indexes"]["size_exact"].all()
    assert not [n for n in analyze_snapshot(small, config=Config()).notes if "relpages" in n]


# -- MariaDB --------------------------------------------------------------------------------------

def _my_build(sandbox, database: str, tables: int, batch: int = 100) -> None:
    """Tables in bulk: AUTO_INCREMENT key, two secondary indexes, a foreign key on every other table
    (no rows: InnoDB's DDL is the slow part of building, and information_schema reads the same
    metadata either way). One database: a MySQL report covers one."""
    with sandbox.admin() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{database}`")
        cur.execute(f"USE `{database}`")
        for start in range(0, tables, batch):
            ddl = []
            for i in range(start, min(start + batch, tables)):
                fk = f", FOREIGN KEY (parent_id) REFERENCES t{i - 1:05d} (id)" if i % 2 else ""
                ddl.append(
                    f"CREATE TABLE t{i:05d} (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
                    f"parent_id BIGINT UNSIGNED, a INT NOT NULL, b INT, note VARCHAR(50), "
                    f"KEY ix_parent (parent_id), KEY ix_a_b (a, b){fk});")
            cur.execute("".join(ddl))
            while cur.nextset():
                pass


@pytest.fixture(scope="module")
def my_catalogs():
    from tests.support.mariadb import MariaDBSandbox, find_mariadb_binaries

    if find_mariadb_binaries() is None:
        pytest.skip("needs MariaDB server binaries for a throwaway server")
    # nosync: thousands of CREATE TABLE without an fsync each (a throwaway server)
    sandbox = MariaDBSandbox(performance_schema=True, settings={"innodb-buffer-pool-size": "128M",
                                                                "innodb-flush-method": "nosync"})
    sandbox.start()
    try:
        _my_build(sandbox, "small", MY_SMALL)
        _my_build(sandbox, "large", MY_SMALL * FACTOR)
        yield sandbox
    finally:
        sandbox.stop()


def _my_costs(sandbox, database: str) -> dict[str, float]:
    from dbxray.connect import connect

    with connect(sandbox.dsn(database)) as session:
        ctx = ServerContext("mysql", session.version_num, "mariadb" if session.is_mariadb else "mysql")
        specs = {m: s for m, s in choose(load_specs("mysql"), ctx).items() if not isinstance(s, str)}
        tid = session.scalar("SELECT TID FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")
        pid = sandbox.proc.pid
        stat = f"/proc/{pid}/task/{tid}/stat"
        if not os.path.exists(stat):
            pytest.skip(f"cannot read the connection thread's CPU time ({stat})")
        return median_costs(specs, session, stat)


def test_mariadb_collectors_scale_linearly(my_catalogs):
    small = _my_costs(my_catalogs, "small")
    large = _my_costs(my_catalogs, "large")
    assert {"tables", "indexes", "columns", "foreign_keys"} <= set(small)
    assert sum(large.values()) > 1.5 * sum(small.values())
    assert_linear(small, large, "MariaDB", MY_SMALL)
