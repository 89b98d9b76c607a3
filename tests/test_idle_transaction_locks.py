"""``idle_in_transaction`` on PostgreSQL: a session idle in a transaction that holds locks (or the
xmin horizon) is reported from 60 s, one that holds nothing only from 5 min, with the locked
tables and the waiting pids named. The MariaDB half is ``tests/mysql/test_idle_transaction_locks.py``;
both read the same rule (``dbxray.checks.idle_transaction``)."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest

from dbxray.checks.idle_transaction import THRESHOLDS
from dbxray.config import Config
from dbxray.pipeline import analyze_snapshot, collect_snapshot


def _report(dsn: str, **overrides: dict[str, Any]):
    return analyze_snapshot(collect_snapshot(dsn), config=Config(checks=dict(overrides)))


def _idle(rep, pid: int) -> list:
    return [f for f in rep.findings if f.check == "idle_in_transaction" and f.object.get("pid") == pid]


@pytest.fixture
def stock(pg_db):
    pg, name = pg_db
    pg.run(name, "CREATE TABLE stock (id int PRIMARY KEY, qty int NOT NULL);"
                 "CREATE TABLE audit (id int PRIMARY KEY, note text);"
                 "INSERT INTO stock SELECT g, 100 FROM generate_series(1, 10) g;"
                 "INSERT INTO audit SELECT g, 'x' FROM generate_series(1, 10) g;")
    return pg, name


def test_defaults_are_the_same_on_both_engines():
    from dbxray.checks import load_all

    registry = load_all()
    assert registry[("idle_in_transaction", "postgres")].thresholds == THRESHOLDS
    assert registry[("idle_in_transaction", "mysql")].thresholds == THRESHOLDS
    assert THRESHOLDS["locks_warn_s"] == 60.0 and THRESHOLDS["warn_s"] == 300.0


def test_idle_90s_class_with_locks_is_found_and_idle_without_locks_is_not_on_both_engines(stock, my_db):
    """Default thresholds, real sessions idle past 60 s, on PostgreSQL and MariaDB at once (one wait):
    the one that changed a row (and has a waiter) is reported, critical, naming the table and the
    waiting session; the one that only read is not."""
    from tests.mysql.test_idle_transaction_locks import SHOP, idle_past_a_minute

    pg, name = stock
    my, db = my_db
    my.run(db, SHOP)
    holder = pg.connect(name)
    try:
        with _found_then_fixed(pg, name, holder), idle_past_a_minute(my, db):
            time.sleep(THRESHOLDS["locks_warn_s"] + 2)
    finally:
        with contextlib.suppress(Exception):
            holder.close()


@contextlib.contextmanager
def _found_then_fixed(pg: Any, name: str, holder: Any):
    with pg.connect(name) as reader, pg.connect(name) as waiter:
        holder.autocommit = reader.autocommit = False
        holder.execute("UPDATE stock SET qty = qty - 1 WHERE id = 1")
        reader.execute("SELECT sum(qty) FROM stock")  # READ COMMITTED: no xid, no snapshot kept
        waiter_pid = waiter.info.backend_pid
        box: list[Any] = []

        def wait() -> None:
            try:
                waiter.execute("UPDATE stock SET qty = qty + 1 WHERE id = 1")
            except Exception as exc:  # ended by the fix below
                box.append(exc)

        th = threading.Thread(target=wait)
        th.start()
        yield  # the caller waits past locks_warn_s
        rep = _report(pg.dsn(name))
        (f,) = _idle(rep, holder.info.backend_pid)
        assert f.severity == "critical"  # somebody waits on it
        assert f.evidence["holds_locks"] and f.evidence["row_locks"] and f.evidence["threshold"] == "locks_warn_s"
        assert f.evidence["locked_tables"] == ["public.stock"] and f.object["table"] == "stock"
        assert f.evidence["waiting_pids"] == [waiter_pid]
        assert f.evidence["idle_s"] >= 60 and "holding locks on public.stock" in f.title
        assert not _idle(rep, reader.info.backend_pid)  # idle in transaction, but holds nothing: 5 min
        with pg.connect(name) as admin:
            assert admin.execute(f.sql.splitlines()[0]).fetchone()[0] is True  # pg_terminate_backend
        th.join(10)
        assert not th.is_alive()  # the waiter got its lock once the holder was gone


def test_threshold_is_the_only_difference(stock):
    """Lowered thresholds, fast: a held lock is reported once past locks_warn_s, not before; a session
    that holds nothing is reported only past warn_s. REPEATABLE READ holds the xmin horizon."""
    pg, name = stock
    with pg.connect(name) as holder, pg.connect(name) as reader, pg.connect(name) as snapshot:
        holder.autocommit = reader.autocommit = snapshot.autocommit = False
        holder.execute("SELECT * FROM audit WHERE id = 2 FOR UPDATE")
        reader.execute("SELECT count(*) FROM audit")
        snapshot.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        snapshot.execute("SELECT count(*) FROM stock")
        time.sleep(1.5)
        near = _report(pg.dsn(name), idle_in_transaction={"locks_warn_s": 30.0, "warn_s": 60.0})
        assert not _idle(near, holder.info.backend_pid)
        rep = _report(pg.dsn(name), idle_in_transaction={"locks_warn_s": 1.0, "warn_s": 60.0})
        (f,) = _idle(rep, holder.info.backend_pid)
        assert f.severity == "warning" and f.evidence["locked_tables"] == ["public.audit"]
        assert f.evidence["waiting_pids"] == [] and f.evidence["xid"] is not None  # FOR UPDATE took an xid
        assert not _idle(rep, reader.info.backend_pid)
        (h,) = _idle(rep, snapshot.info.backend_pid)
        assert h.evidence["holds_xmin_horizon"] and not h.evidence["row_locks"] and "xmin horizon" in h.title
        low = _report(pg.dsn(name), idle_in_transaction={"locks_warn_s": 1.0, "warn_s": 1.0})
        assert _idle(low, reader.info.backend_pid)  # past warn_s even a session that holds nothing is
        assert "ALTER ROLE" in f.sql and "idle_in_transaction_session_timeout" in f.sql
