"""The ``deadlock`` check: the count since startup and both transactions of the latest deadlock.

Fixture side (runs everywhere): the real status texts recorded on MariaDB 10.11 and from the MySQL 8.0
manual, through the collectors' frames and the check. Live side: a throwaway MariaDB of its own (the
count is server-wide, so no other test's deadlock can leak in): a plain lock wait that times out is
no deadlock (near miss), then a real deadlock is (hit); and an account without PROCESS still gets the
count, with the reason the details are missing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pandas as pd
import pymysql
import pytest

from dbxray.config import Config
from dbxray.pipeline import analyze_snapshot, collect_snapshot
from dbxray.snapshot import CollectorRun, Snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _snapshot(flavor: str, status_text: str | None, counters: dict[str, float], metrics: dict[str, float],
              now: str, print_all: str = "OFF") -> Snapshot:
    frames = {
        "status": pd.DataFrame({"name": list(counters), "value": [str(v) for v in counters.values()]}),
        "settings": pd.DataFrame({"name": ["innodb_print_all_deadlocks"], "setting": [print_all]}),
        "innodb_metrics": pd.DataFrame({"name": list(metrics), "value": list(metrics.values())}),
        "server": pd.DataFrame({"server_now": [dt.datetime.fromisoformat(now)]}),
    }
    runs = [CollectorRun(name, "ok", rows=len(df)) for name, df in frames.items()]
    if status_text is not None:
        frames["innodb_status"] = pd.DataFrame({"Type": ["InnoDB"], "Name": [""], "Status": [status_text]})
        runs.append(CollectorRun("innodb_status", "ok", rows=1))
    else:
        runs.append(CollectorRun("innodb_status", "error", detail="permission denied (needs PROCESS)"))
    return Snapshot(engine="mysql", server_version="x", version_num=101119 if flavor == "mariadb" else 80036,
                    database=None, host="h", collected_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), frames=frames,
                    meta={"flavor": flavor}, collectors=runs)


def _deadlocks(snap: Snapshot) -> list:
    return [f for f in analyze_snapshot(snap, config=Config()).findings if f.check == "deadlock"]


def test_recorded_mariadb_deadlock_names_both_transactions_and_the_lock_order():
    text = (FIXTURES / "mariadb" / "innodb_status_deadlock.txt").read_text()
    snap = _snapshot("mariadb", text, {"innodb_deadlocks": 1, "uptime": 7200}, {"lock_deadlocks": 1},
                     now="2026-11-30 02:40:00")
    (f,) = _deadlocks(snap)
    assert f.severity == "warning"  # 12 minutes old
    assert f.object == {"schema": "shop", "table": "accounts"} and f.evidence["tables"] == ["shop.accounts"]
    assert f.evidence["deadlocks"] == 1 and f.evidence["count_source"] == "global status Innodb_deadlocks"
    assert f.evidence["latest_at"] == "2026-11-30 02:28:33" and f.evidence["latest_age_s"] == 687
    one, two = f.evidence["transactions"]
    assert one["thread_id"] == 7 and "WHERE id = 1" in one["query"]
    assert two["thread_id"] == 6 and "WHERE id = 2" in two["query"]
    assert one["waits_for"] == "X,REC_NOT_GAP lock on shop.accounts index PRIMARY record 1"
    assert one["holds"] == ["X,REC_NOT_GAP lock on shop.accounts index PRIMARY record 2"]
    assert two["waits_for"].endswith("record 2") and two["holds"][0].endswith("record 1")
    assert f.evidence["rolled_back"] == 1 and one["rolled_back"] and not two["rolled_back"]
    assert "same order" in f.recommendation and "Latest: transaction (1) held" in f.recommendation
    assert f.sql.startswith("SET GLOBAL innodb_print_all_deadlocks = ON;")


def test_recorded_mysql8_deadlock_counted_from_innodb_metrics():
    """MySQL 8 has no Innodb_deadlocks status variable: the count comes from the lock_deadlocks metric."""
    text = (FIXTURES / "mysql8" / "innodb_status_deadlock_manual80.txt").read_text()
    snap = _snapshot("mysql", text, {"uptime": 3600 * 24 * 30}, {"lock_deadlocks": 3},
                     now="2022-12-25 15:58:22", print_all="ON")
    (f,) = _deadlocks(snap)
    assert f.severity == "info"  # 3 in 30 days, the latest a month old
    assert f.evidence["deadlocks"] == 3
    assert f.evidence["count_source"] == "information_schema.INNODB_METRICS lock_deadlocks"
    assert f.evidence["tables"] == ["test.Animals", "test.Birds"]
    one = f.evidence["transactions"][0]
    assert one["query"] == "UPDATE Animals SET value=30 WHERE name='Aardvark'"
    assert one["holds"] == ["S,REC_NOT_GAP lock on test.Birds index PRIMARY record Buzzard"]
    assert f.sql is None  # innodb_print_all_deadlocks is already ON


def test_near_misses_on_recorded_outputs():
    """A status text without a deadlock section and a zero count: nothing. Without PROCESS: the count alone,
    saying why the details are missing."""
    monitor = (FIXTURES / "mysql8" / "innodb_status_monitor_manual80.txt").read_text()
    assert "LATEST DETECTED DEADLOCK" not in monitor
    assert not _deadlocks(_snapshot("mysql", monitor, {"uptime": 100}, {"lock_deadlocks": 0}, now="2022-01-01"))
    (f,) = _deadlocks(_snapshot("mariadb", None, {"innodb_deadlocks": 4, "uptime": 3600}, {}, now="2022-01-01"))
    assert f.evidence["deadlocks"] == 4 and "needs the PROCESS privilege" in f.evidence["latest"]
    assert f.severity == "warning"  # 4 per hour


def _conn(port: int, user: str = "root", db: str | None = "shop") -> pymysql.connections.Connection:
    return pymysql.connect(host="127.0.0.1", port=port, user=user, database=db, autocommit=False)


@pytest.fixture(scope="module")
def server():
    from tests.support.mariadb import MariaDBSandbox, find_mariadb_binaries

    if not find_mariadb_binaries():
        pytest.skip("no MariaDB binaries on this machine")
    with MariaDBSandbox(performance_schema=False, settings={"innodb-buffer-pool-size": "16M"}) as box:
        with box.admin() as conn, conn.cursor() as cur:
            cur.execute("CREATE DATABASE shop; CREATE TABLE shop.accounts (id INT PRIMARY KEY, owner VARCHAR(20),"
                        " balance INT); INSERT INTO shop.accounts VALUES (1, 'alice', 100), (2, 'bob', 100);"
                        "CREATE USER 'watcher'@'127.0.0.1'; GRANT SELECT ON shop.* TO 'watcher'@'127.0.0.1';")
        yield box


def _report(dsn: str) -> list:
    return [f for f in analyze_snapshot(collect_snapshot(dsn), config=Config()).findings if f.check == "deadlock"]


def test_live_lock_wait_is_no_deadlock_then_a_deadlock_is(server):
    a, b = _conn(server.port), _conn(server.port)
    try:
        with a.cursor() as ca, b.cursor() as cb:
            cb.execute("SET SESSION innodb_lock_wait_timeout = 1")
            ca.execute("UPDATE accounts SET balance = balance - 1 WHERE id = 1")
            with pytest.raises(pymysql.err.OperationalError) as timeout:
                cb.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 1")
            assert timeout.value.args[0] == 1205  # a lock wait timeout, not a deadlock
            a.rollback()
            b.rollback()
        assert not _report(server.dsn("shop"))  # near miss

        with a.cursor() as ca, b.cursor() as cb:
            ca.execute("UPDATE accounts SET balance = balance - 10 WHERE id = 1")
            cb.execute("UPDATE accounts SET balance = balance - 20 WHERE id = 2")
            errors: list[Exception] = []

            def second() -> None:
                try:
                    ca.execute("UPDATE accounts SET balance = balance + 20 WHERE id = 2")
                except pymysql.err.MySQLError as exc:
                    errors.append(exc)

            th = threading.Thread(target=second)
            th.start()
            time.sleep(0.5)
            try:
                cb.execute("UPDATE accounts SET balance = balance + 10 WHERE id = 1")
            except pymysql.err.MySQLError as exc:
                errors.append(exc)
            th.join(10)
        assert [e.args[0] for e in errors] == [1213]
        a.rollback()
        b.rollback()
    finally:
        a.close()
        b.close()
    (f,) = _report(server.dsn("shop"))
    assert f.evidence["deadlocks"] == 1 and f.severity == "warning" and f.object["table"] == "accounts"
    queries = sorted(t["query"] for t in f.evidence["transactions"])
    assert queries == ["UPDATE accounts SET balance = balance + 10 WHERE id = 1",
                       "UPDATE accounts SET balance = balance + 20 WHERE id = 2"]
    assert sum(t["rolled_back"] for t in f.evidence["transactions"]) == 1
    assert {t["waits_for"].rsplit(" ", 1)[-1] for t in f.evidence["transactions"]} == {"1", "2"}

    # least privilege: without PROCESS the count still shows (global status), the details say why not
    (w,) = _report(server.dsn("shop", user="watcher"))
    assert w.evidence["deadlocks"] == 1 and "PROCESS" in w.evidence["latest"]
    with server.admin() as conn, conn.cursor() as cur:
        cur.execute(w.sql.splitlines()[0])  # the fix SQL runs
        cur.execute("SELECT @@innodb_print_all_deadlocks")
        assert cur.fetchone()[0] == 1
