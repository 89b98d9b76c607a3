"""Scenario helpers: seed a database on a real server, drive a workload as an application would, hold
locks from other sessions, and read the diagnosis of the real report pipeline."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg

from dbxray.config import Config
from dbxray.connect import connect
from dbxray.pipeline import live_report


def reset_statements(server: Any, db: str) -> None:
    """Forget the seeding statements of this database only (the scenario's workload is what counts)."""
    with server.connect(db) as conn:
        dbid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
        conn.execute("SELECT pg_stat_statements_reset(0, %s, 0)", (dbid,))


def workload(server: Any, db: str, sql: str, params: list[tuple], repeat: int = 1) -> None:
    """Run a statement as an application does: bound parameters, one connection, autocommit."""
    with server.connect(db) as conn:
        for _ in range(repeat):
            for p in params:
                cur = conn.execute(sql, p)
                if cur.description:
                    cur.fetchall()


def run(server: Any, db: str, sql: str, params: tuple | None = None, times: int = 1) -> None:
    with server.connect(db) as conn:
        for _ in range(times):
            cur = conn.execute(sql, params)
            if cur.description:
                cur.fetchall()


def diagnosis(server: Any, db: str, checks: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The report's JSON (diagnosis included), through the same pipeline as ``dbxray report``."""
    with connect(server.dsn(db)) as session:
        _, rep = live_report(session, Config(checks=checks or {}))
    return rep.to_dict()


def flush_stats(server: Any, db: str) -> None:
    """Table statistics reach pg_stat_* up to a second after the fact (PostgreSQL 15)."""
    with server.connect(db) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(1.1)


@contextlib.contextmanager
def blocker(server: Any, db: str, statements: list[str]) -> Iterator[int]:
    """A session that runs ``statements`` in a transaction and stays idle in it; yields its pid."""
    conn = psycopg.connect(server.dsn(db), autocommit=False)
    try:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        for sql in statements:
            conn.execute(sql)
        yield pid
    finally:
        with contextlib.suppress(Exception):
            conn.rollback()
        conn.close()


@contextlib.contextmanager
def waiters(server: Any, db: str, sql: str, n: int, settle_s: float = 2.5) -> Iterator[list[int]]:
    """``n`` sessions that run ``sql`` and wait on a lock; yields their pids once they all wait."""
    conns = [psycopg.connect(server.dsn(db), autocommit=True) for _ in range(n)]
    pids = [c.execute("SELECT pg_backend_pid()").fetchone()[0] for c in conns]
    threads = [threading.Thread(target=_quietly, args=(c, sql), daemon=True) for c in conns]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    with server.connect(db) as admin:
        while time.monotonic() < deadline:
            waiting = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND pid = ANY(%s)", (pids,)).fetchone()[0]
            if waiting == n:
                break
            time.sleep(0.1)
    time.sleep(settle_s)
    try:
        yield pids
    finally:
        with server.connect(db) as admin:
            admin.execute("SELECT pg_cancel_backend(pid) FROM unnest(%s::int[]) pid", (pids,))
        for t in threads:
            t.join(timeout=10)
        for c in conns:
            c.close()


def _quietly(conn: psycopg.Connection, sql: str) -> None:
    with contextlib.suppress(Exception):
        conn.execute(sql)


def top(data: dict[str, Any], n: int = 3) -> list[dict[str, Any]]:
    return data["diagnosis"]["bottlenecks"][:n]


def describe(data: dict[str, Any]) -> str:
    """What the test prints when a ranking is wrong: the whole ranking, one line each."""
    return "\n".join(f"{b['rank']}. {b['kind']} {b['severity']} score={b['score']} {b['title']} | {b['cause']}"
                     for b in data["diagnosis"]["bottlenecks"])
