"""The collection overlaps the client with the server (``dbxray.collect.FrameBuilder``): frames are built
on a worker thread while the next statement runs. What a user must not notice: the frames are the ones a
plain, one-step-at-a-time collection builds, in the same order, and the checks' views built meanwhile
(``Engine.warm``) can fail without costing the report anything."""

from __future__ import annotations

import pandas as pd

from dbxray import engine as engines
from dbxray.collect import ColumnBuilder, choose, load_specs, query_collector, run_collectors
from dbxray.columns import frame_from_columns, sort_columns
from dbxray.connect import connect

STABLE = ("tables", "indexes", "column_types", "foreign_keys", "sequences", "table_storage", "roles")


def _plain(session, spec):
    builder = ColumnBuilder()
    cols, columns, nrows = query_collector(session, spec, builder)
    sort = [c.strip() for c in spec.headers.get("sort", "").split(",") if c.strip()]
    if sort and nrows > 1:
        sort_columns(cols, columns, sort)
    return frame_from_columns(cols, columns, nrows)


def test_overlapped_frames_equal_a_plain_collection(pg_db):
    server, db = pg_db
    server.run(db, """
        CREATE TABLE IF NOT EXISTS ov_a (id bigserial PRIMARY KEY, name text UNIQUE, at timestamptz);
        CREATE TABLE IF NOT EXISTS ov_b (id int PRIMARY KEY, a bigint REFERENCES ov_a (id), v numeric);
        CREATE INDEX IF NOT EXISTS ov_b_v ON ov_b (v) WHERE v > 0;
    """)
    with connect(server.dsn(db)) as session:
        snap = run_collectors(session, warm=True)
        chosen = choose(load_specs("postgres"), _context(session, snap))
        for metric in STABLE:
            spec = chosen[metric]
            if isinstance(spec, str):
                continue
            pd.testing.assert_frame_equal(snap[metric], _plain(session, spec), check_exact=False)
    ran = [r.name for r in snap.collectors]
    assert ran[:2] == ["extensions", "server"] and len(ran) == len(set(ran))
    assert all(r.rows == len(snap[r.name]) for r in snap.collectors if r.status == "ok")


def test_a_failing_warm_up_costs_the_report_nothing(pg_db, monkeypatch):
    server, db = pg_db
    server.run(db, "CREATE TABLE IF NOT EXISTS warm_t (id int PRIMARY KEY, v text)")
    with connect(server.dsn(db)) as session:
        eng = engines.of(session)

        def broken(metric, snap):
            raise RuntimeError("warm-up bug")

        monkeypatch.setattr(type(eng), "warm", lambda self, metric, snap: broken(metric, snap))
        snap = run_collectors(session, warm=True)
    assert {r.status for r in snap.collectors} <= {"ok", "skipped"}
    assert not snap["indexes"].empty and not snap["tables"].empty


def _context(session, snap):
    from dbxray.collect import ServerContext

    ext = snap["extensions"]
    return ServerContext(engine="postgres", version_num=session.version_num, flavor="postgres",
                         extensions=dict(zip(ext["name"], ext["version"])),
                         is_superuser=bool(snap["server"].iloc[0]["is_superuser"]))


def test_mariadb_overlapped_frames_and_warmed_views_equal_plain_ones(my_db):
    """The same on MariaDB, whose rows arrive through PyMySQL: the frames equal a plain collection's, and
    the decoded indexes the checks read are the ones they would build themselves."""
    from dbxray.checks.helpers import forget
    from dbxray.engines.mysql.checks.helpers import indexes_by_table

    my, db = my_db
    my.run(db, """
        CREATE TABLE ov_a (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40), at DATETIME,
                           UNIQUE KEY ov_a_name (name), KEY ov_a_at_name (at, name(10)));
        CREATE TABLE ov_b (id INT PRIMARY KEY, a BIGINT, KEY ov_b_a (a));
    """)
    with connect(my.dsn(db)) as session:
        snap = run_collectors(session, warm=True)
        warmed = indexes_by_table(snap)
        forget()
        rebuilt = indexes_by_table(snap)
        assert warmed is not rebuilt and warmed == rebuilt
        assert {ix["index"] for ix in warmed[(db, "ov_a")]} == {"PRIMARY", "ov_a_name", "ov_a_at_name"}
        eng = engines.of(session)
        ctx = _mysql_context(session, snap, eng)
        chosen = choose(load_specs("mysql"), ctx)
        for metric in ("tables", "indexes", "columns", "foreign_keys"):
            spec = chosen.get(metric)
            if spec is None or isinstance(spec, str):
                continue
            pd.testing.assert_frame_equal(snap[metric], _plain(session, spec), check_exact=False)


def _mysql_context(session, snap, eng):
    from dbxray.collect import ServerContext

    return ServerContext(engine="mysql", version_num=session.version_num, flavor=eng.flavor(session),
                         extensions={}, is_superuser=bool(snap["server"].iloc[0].get("is_superuser", True)))
