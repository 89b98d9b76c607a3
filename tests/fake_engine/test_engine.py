"""Adding an engine is one engine package, one collectors folder and one tests folder: the SQLite
engine beside this file goes through the real pipeline (DSN scheme, collectors, shared and own
checks, report, every renderer) and leaves the registries as it found them."""

from __future__ import annotations

import json
import sqlite3

import pytest

from dbxray import engine
from dbxray.checks import checks_for, load_all
from dbxray.config import Config
from dbxray.connect import connect
from dbxray.pipeline import live_report
from dbxray.report import render
from tests.fake_engine import ENGINE

SLOW = "SELECT * FROM orders WHERE customer_id = ?"
FAST = "SELECT * FROM customers WHERE id = ?"
BUSY = "INSERT INTO orders (customer_id, total) VALUES (?, ?)"


@pytest.fixture
def sqlite_engine():
    engine.register(ENGINE)
    yield ENGINE
    engine.unregister(ENGINE.name)


def _database(path, journal_mode: str) -> str:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal_mode}")
    conn.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total INTEGER);
        CREATE TABLE dbxray_statements (queryid TEXT, query TEXT, calls INTEGER, total_exec_ms REAL,
                                        max_exec_ms REAL, rows INTEGER);
    """)
    conn.executemany("INSERT INTO dbxray_statements VALUES (?, ?, ?, ?, ?, ?)", [
        ("q1", SLOW, 500, 500 * 45.0, 120.0, 2500),  # 45 ms a call, 500 calls: slow
        ("q2", FAST, 20000, 20000 * 0.05, 1.0, 20000),  # fast, however often it runs
        ("q3", BUSY, 200000, 200000 * 0.5, 3.0, 200000),  # most of the time, but 0.5 ms a call
    ])
    conn.commit()
    conn.close()
    return f"sqlite://{path}"


def _report(dsn: str):
    with connect(dsn) as session:
        return live_report(session, Config())


def test_the_protocol_is_implemented(sqlite_engine):
    assert isinstance(sqlite_engine, engine.Engine)
    assert engine.for_scheme("sqlite") is sqlite_engine
    assert sorted(p.name for p in sqlite_engine.collectors_path().glob("*.sql")) == ["settings.sql",
                                                                                   "statements.sql"]


def test_pipeline_end_to_end(sqlite_engine, tmp_path):
    snap, rep = _report(_database(tmp_path / "shop.db", "delete"))
    assert snap.engine == "sqlite" and snap.server_version == sqlite3.sqlite_version
    assert {c.name: c.status for c in snap.collectors} == {"settings": "ok", "statements": "ok"}
    assert not rep.collection.get("check_errors")
    by_check = {f.check: f for f in rep.findings}
    assert set(by_check) == {"slow_query", "setting"}
    slow = by_check["slow_query"]  # the shared check, on this engine's statements view
    assert slow.object == {"query_id": "q1"} and slow.severity == "warning"
    assert slow.evidence["calls"] == 500 and slow.evidence["mean_ms"] == 45.0
    assert slow.evidence["source"] == "dbxray_statements" and slow.evidence["query"] == SLOW
    setting = by_check["setting"]  # the engine's own check
    assert setting.object == {"setting": "journal_mode"} and setting.sql == "PRAGMA journal_mode = WAL;"
    data = json.loads(render(rep, "json"))
    assert data["target"]["engine"] == "sqlite" and len(data["findings"]) == 2
    assert [s["query_id"] for s in data["summary"]["statements"]] == ["q3", "q1", "q2"]  # by total time
    markdown = render(rep, "markdown")
    assert "Slow statement: 45.0 ms per call over 500 calls" in markdown and "journal_mode" in markdown
    assert "Slow statement" in render(rep, "text", color=False, width=160)


def test_near_miss_wal_database(sqlite_engine, tmp_path):
    """In WAL mode the engine's own check is silent; fast statements are never slow queries."""
    _, rep = _report(_database(tmp_path / "wal.db", "wal"))
    assert [f.check for f in rep.findings] == ["slow_query"]
    assert rep.findings[0].object["query_id"] == "q1"


def test_unregister_leaves_the_registries_clean(tmp_path):
    before = set(load_all())
    engine.register(ENGINE)
    assert {c.id for c in checks_for("sqlite")} >= {"setting", "slow_query"}
    assert ("setting", "sqlite") in load_all()
    engine.unregister(ENGINE.name)
    assert set(load_all()) == before and "sqlite" not in engine.engines()
    engine.register(ENGINE)  # and it comes back, checks included
    try:
        assert ("setting", "sqlite") in load_all()
    finally:
        engine.unregister(ENGINE.name)
