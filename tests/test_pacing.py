"""Pacing (``dbxray.pacing``): on a busy server the collection pauses between collectors, on an idle one
it never does, sessions blocked on a lock do not count as work, and what was paced is said in the report.
The observer effect itself (TPS lost beside pgbench / sysbench) is measured in bench/bench_observer.py."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from dbxray.collect import run_collectors
from dbxray.connect import connect
from dbxray.engine import of as engine_of
from dbxray.pacing import Pacer, parse_pace
from dbxray.report.notes import capability_notes

DBXRAY = str(Path(sys.executable).with_name("dbxray"))
BURN = "SELECT count(*) FROM generate_series(1, 400000000)"  # one core busy for longer than the test


@contextlib.contextmanager
def busy_session(dsn: str):
    """A session running a CPU-bound statement in a thread until the block ends (then cancelled)."""
    conn = psycopg.connect(dsn, autocommit=True)
    started = threading.Event()

    def run() -> None:
        started.set()
        with contextlib.suppress(psycopg.Error):
            conn.execute(BURN)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait()
    try:
        deadline = time.monotonic() + 10
        with psycopg.connect(dsn, autocommit=True) as probe:
            while time.monotonic() < deadline and not probe.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE query = %s AND state = 'active'",
                    (BURN,)).fetchone()[0]:
                time.sleep(0.05)
        yield
    finally:
        conn.cancel_safe() if hasattr(conn, "cancel_safe") else conn.cancel()
        thread.join(10)
        conn.close()


def test_busy_server_is_paced_and_the_report_says_so(pg_db):
    server, db = pg_db
    dsn = server.dsn(db)
    server.run(db, "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g")
    pacer = Pacer(share=0.5, busy_sessions=1)
    with busy_session(dsn), connect(dsn) as session:
        assert engine_of(session).busy_sessions(session) >= 1
        snap = run_collectors(session, pacer=pacer)
    assert pacer.paced >= 1 and pacer.slept_s > 0
    paced = snap.meta["pacing"]
    assert paced["share"] == 0.5 and paced["busy_sessions"] >= 1 and paced["pauses"] == pacer.paced
    assert any("the server was busy" in n and "--pace off" in n for n in capability_notes(snap))
    assert all(run.status in ("ok", "skipped") for run in snap.collectors)


def test_a_busy_report_paces_its_checks_and_live_analysis_too(pg_db, monkeypatch):
    """Not only the collectors: the checks (CPU on a host the server may share) and the live analysis
    (EXPLAINs and HypoPG proofs on the server) each pause after them, and the report says so."""
    from dbxray import pacing
    from dbxray.config import Config
    from dbxray.pipeline import live_report

    server, db = pg_db
    dsn = server.dsn(db)
    calls = []

    class Recording(Pacer):
        def after(self, session, engine, elapsed_s):
            calls.append(elapsed_s)
            super().after(session, engine, elapsed_s)

    monkeypatch.setattr(pacing, "Pacer", lambda share: Recording(share=share, busy_sessions=1))
    monkeypatch.setattr(pacing, "MIN_PACED_S", 0.0)
    monkeypatch.setattr(pacing, "PACE_PROCESS_START", False)  # a library caller: only the report's own steps
    with busy_session(dsn), connect(dsn) as session:
        snap, rep = live_report(session, Config(report={"pace": 0.5}))
    collectors = [r for r in snap.collectors if r.status != "skipped" and r.name not in ("extensions", "server")]
    # one pause for the two bootstrap collectors, one per collector, then the checks, then the live analysis
    assert len(calls) == 1 + len(collectors) + 2
    assert snap.meta["pacing"]["pauses"] == len(calls)
    assert any("the server was busy" in n for n in rep.notes)


def test_idle_server_is_never_paced(pg_db):
    server, db = pg_db
    pacer = Pacer(share=0.5, busy_sessions=1)
    with connect(server.dsn(db)) as session:
        snap = run_collectors(session, pacer=pacer)
    assert pacer.paced == 0 and "pacing" not in snap.meta
    assert not any("the server was busy" in n for n in capability_notes(snap))


def test_sessions_blocked_on_a_lock_are_not_work(pg_db):
    server, db = pg_db
    dsn = server.dsn(db)
    server.run(db, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
    holder = psycopg.connect(dsn)
    holder.execute("UPDATE t SET id = 1 WHERE id = 1")  # an open transaction holding the row
    waiters = [psycopg.connect(dsn, autocommit=True) for _ in range(2)]
    threads = [threading.Thread(target=_quiet, args=(c.execute, "UPDATE t SET id = 1 WHERE id = 1"), daemon=True)
               for c in waiters]
    try:
        for th in threads:
            th.start()
        with psycopg.connect(dsn, autocommit=True) as probe:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and probe.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()[0] < 2:
                time.sleep(0.05)
        with connect(dsn) as session:
            assert engine_of(session).busy_sessions(session) == 0
    finally:
        holder.rollback()
        holder.close()
        for th in threads:
            th.join(10)
        for c in waiters:
            c.close()


def _quiet(fn, *args):
    with contextlib.suppress(psycopg.Error):
        fn(*args)


def test_mariadb_probe_counts_connections_at_work(my_db):
    """Two connections running short statements back to back count as at work, between statements too;
    once they stop, they no longer do."""
    server, db = my_db
    stop = threading.Event()
    conns = [server.admin(db) for _ in range(2)]

    def work(conn) -> None:
        with conn.cursor() as cur:
            while not stop.is_set():
                cur.execute("SELECT 1")
                cur.fetchall()

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in conns]
    try:
        for th in threads:
            th.start()
        time.sleep(0.3)
        with connect(server.dsn(db)) as session:
            busy = max(engine_of(session).busy_sessions(session) for _ in range(5))
        assert busy >= 2
    finally:
        stop.set()
        for th in threads:
            th.join(10)
    time.sleep(0.3)
    with connect(server.dsn(db)) as session:
        assert engine_of(session).busy_sessions(session) < 2
    for c in conns:
        c.close()


@pytest.mark.parametrize("value, share", [("auto", 0.1), (None, 0.1), ("off", None), ("0.5", 0.5), (1, None)])
def test_pace_values(value, share):
    assert parse_pace(value) == share


@pytest.mark.parametrize("argv", [["--pace", "fast"], ["--pace", "0"], ["--pace", "1.5"]])
def test_bad_pace_is_one_line_before_connecting(argv):
    result = subprocess.run([DBXRAY, "report", "--dsn", "postgresql://nobody@127.0.0.1:1/x", *argv],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "pace:" in result.stderr and "Traceback" not in result.stderr


def test_bad_pace_in_the_config_names_the_section(tmp_path):
    cfg = tmp_path / "dbxray.toml"
    cfg.write_text('[report]\npace = "sometimes"\n')
    result = subprocess.run([DBXRAY, "report", "--config", str(cfg), "--dsn", "postgresql://nobody@127.0.0.1:1/x"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "[report] pace:" in result.stderr and "Traceback" not in result.stderr


def test_the_commands_own_start_is_paced_once_on_a_busy_server(monkeypatch):
    """The dbxray command's start (interpreter, imports) costs a busy host's workload more than a small
    server's report: on a busy server it is paced like a step, once per process, for the time since the
    process started; a library caller's process never is."""
    from dbxray import pacing

    class Busy:
        def busy_sessions(self, session):
            return 10

    slept = []
    monkeypatch.setattr(pacing.time, "sleep", slept.append)
    monkeypatch.setattr(pacing, "_start_paced", False)
    monkeypatch.setattr(pacing, "PACE_PROCESS_START", False)
    Pacer(share=0.5).start(None, Busy())
    assert slept == []  # a library caller (this test process) is not paced for its own start
    monkeypatch.setattr(pacing, "PACE_PROCESS_START", True)
    age = time.monotonic() - _started_monotonic()
    first = Pacer(share=0.5)
    first.start(None, Busy())
    assert len(slept) == 1 and slept[0] == pytest.approx(age, abs=1.0)  # share 0.5: as long as the start took
    assert first.summary()["pauses"] == 1
    Pacer(share=0.5).start(None, Busy())  # the next report of the same process (report --all): not again
    assert len(slept) == 1


def test_the_process_lowers_its_priority_once_whatever_the_number_of_reports(monkeypatch):
    """nice is cumulative: the second report of one process (``--every``, ``--all``) must not lower it again."""
    from dbxray import pacing

    class Busy:
        def busy_sessions(self, session):
            return 10

    niced = []
    monkeypatch.setattr(pacing.os, "nice", niced.append)
    monkeypatch.setattr(pacing.time, "sleep", lambda s: None)
    monkeypatch.setattr(pacing, "_reniced", False)
    monkeypatch.setattr(pacing, "LOWER_PRIORITY_WHEN_BUSY", True)
    for _ in range(3):  # three reports, each with its own pacer
        Pacer(share=0.5).after(None, Busy(), 0.1)
    assert niced == [pacing.NICE]


def _started_monotonic() -> float:
    """When this process started, on the monotonic clock (from /proc, as pacing reads it)."""
    import os

    with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as up:
        started = int(stat.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        age = float(up.read().split()[0]) - started
    return time.monotonic() - age


def test_main_in_process_gives_the_process_marks_back(monkeypatch, capsys):
    """``main()`` marks its process as dbxray's own only while it runs: a caller running it in-process (a
    test runner, a notebook) is not left pacing its own start or renicing itself afterwards."""
    from dbxray import pacing
    from dbxray.cli import main

    monkeypatch.setattr(sys, "argv", ["dbxray", "--help"])
    with pytest.raises(SystemExit):
        main()
    assert pacing.PACE_PROCESS_START is False and pacing.LOWER_PRIORITY_WHEN_BUSY is False
