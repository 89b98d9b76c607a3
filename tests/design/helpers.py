"""Run the real pipeline on a real server and pick the design findings; drive workloads as an
application would (bound parameters, its own connections)."""

from __future__ import annotations

import time
from typing import Any

from dbxray.config import Config
from dbxray.pipeline import analyze_snapshot, collect_snapshot

MINE = ("money_float", "missing_foreign_key", "foreign_key_type_mismatch", "int_key_growth", "random_uuid_key",
        "timestamp_without_tz", "wide_row_reads", "select_star_wide", "json_unindexed_filter", "over_indexing",
        "hot_update_blocked", "rollback_rate", "deadlock_rate", "idle_transaction_time", "row_lock_waits",
        "cache_candidate", "cache_hit_ratio")


def report(dsn: str, baseline: Any = None, **overrides: dict[str, Any]):
    """Collect and analyse ``dsn`` (optionally over the interval since ``baseline``)."""
    snap = collect_snapshot(dsn)
    return analyze_snapshot(snap, config=Config(checks=dict(overrides)), baseline=baseline)


def live(dsn: str, **overrides: dict[str, Any]):
    """The report ``dbxray report`` builds, live analysis (plans, HypoPG proofs) included."""
    from dbxray.connect import connect
    from dbxray.pipeline import live_report

    with connect(dsn) as session:
        _, rep = live_report(session, Config(checks=dict(overrides)))
    return rep


def findings(rep: Any, check: str, **obj: Any) -> list:
    return [f for f in rep.findings if f.check == check and all(f.object.get(k) == v for k, v in obj.items())]


def check_errors(rep: Any) -> list:
    return [e for e in rep.to_dict()["collection"].get("check_errors") or () if e.get("check") in MINE]


def pg_run(conn: Any, sql: str, params: Any = None, times: int = 1) -> None:
    for _ in range(times):
        cur = conn.execute(sql, params)
        if cur.description:
            cur.fetchall()


def pg_flush(conn: Any) -> None:
    """Table and database statistics reach pg_stat_* up to a second later (PostgreSQL 15)."""
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT 1")
    time.sleep(1.1)


def my_conn(server: Any, db: str, autocommit: bool = True):
    import pymysql

    return pymysql.connect(host=server.host, port=server.port, user=server.user, password=server.password or "",
                           database=db, autocommit=autocommit, charset="utf8mb4")


def my_run(conn: Any, sql: str, params: Any = None, times: int = 1) -> None:
    with conn.cursor() as cur:
        for _ in range(times):
            cur.execute(sql, params)
            cur.fetchall()


def pg_forget_seed(server: Any, db: str) -> None:
    """Forget the seeding statements of this database only: the scenario's workload is what counts."""
    with server.connect(db) as conn:
        dbid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
        conn.execute("SELECT pg_stat_statements_reset(0, %s, 0)", (dbid,))


def my_forget_seed(server: Any) -> None:
    """Forget the seeding statements: the scenario's workload is what counts (tests run one at a time, and
    each one's own statements come after its seed)."""
    with server.admin() as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
