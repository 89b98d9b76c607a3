"""Shared helpers for the PostgreSQL check tests: run the real pipeline, pick findings."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from dbxray.config import Config
from dbxray.pipeline import analyze_snapshot, collect_snapshot


def report(dsn: str, **overrides: dict[str, Any]):
    """Collect and analyse ``dsn`` with the real pipeline; ``overrides`` are per-check thresholds."""
    snap = collect_snapshot(dsn)
    return analyze_snapshot(snap, config=Config(checks=dict(overrides)))


def findings(rep, check: str, **obj: Any) -> list:
    """Findings of ``check`` whose object matches every key given."""
    return [f for f in rep.findings if f.check == check and all(f.object.get(k) == v for k, v in obj.items())]


def flush_stats(conn: psycopg.Connection) -> None:
    """Make this session's pending table statistics visible to other sessions now (PG15+)."""
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT 1")
    time.sleep(0.05)


def user_table_counters(conn: psycopg.Connection) -> dict[str, tuple[int, int]]:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute("SELECT relname, seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}
