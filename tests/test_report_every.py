"""``dbxray report --every``: one process reporting on a schedule.

The schedule itself (start to start, no catch-up burst, a failed run is a line and the schedule goes on, a
mistake on the first run stops it) with a fake clock; the reports on a real server: each one after the
first covers the interval since the previous run, a statement that got slower between runs is a
regression, the server stopped and started again under a running schedule costs one failed run, and
SIGTERM stops it at once with nothing left on the server.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from dbxray.commands.common import Format
from dbxray.commands.report import SingleReport
from dbxray.commands.schedule import Outcome, parse_interval, repeat
from dbxray.config import Config
from dbxray.connect import Limits
from dbxray.demo.sandbox import PostgresSandbox, find_postgres_bindir
from dbxray.errors import BadInput, ConnectionFailed

DBXRAY = str(Path(sys.executable).with_name("dbxray"))


# -- the schedule ----------------------------------------------------------------------------------

class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("5m", 300), ("5min", 300), ("1h", 3600), ("1d", 86400),
                                          ("90", 90), ("0", 0), ("1.5m", 90), (" 2 S ", 2)])
def test_parse_interval(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["5x", "-1", "", "m", "1h30m", "soon"])
def test_parse_interval_refuses(text):
    with pytest.raises(BadInput, match="--every"):
        parse_interval(text)


def test_runs_start_to_start_and_the_exit_code_is_the_highest(capsys):
    t = FakeTime()
    codes = iter([0, 1, 4, 0])

    def run(n):
        t.now += 3  # each run takes 3 s
        return Outcome(next(codes), f"run{n}")

    assert repeat(run, 10, count=4, clock=t.clock, sleep=t.sleep) == 4
    assert t.sleeps == [7, 7, 7]  # no sleep after the last run
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4
    assert re.fullmatch(r"dbxray: run 1 at \d\d:\d\d:\d\d: exit 0, run1 \(3\.0 s\); next in 7\.0 s", lines[0])
    assert lines[-1].endswith("exit 0, run4 (3.0 s)")


def test_a_run_longer_than_the_interval_is_followed_at_once_without_catch_up(capsys):
    t = FakeTime()

    def run(n):
        t.now += 25 if n == 1 else 1
        return Outcome(0)

    repeat(run, 10, count=3, clock=t.clock, sleep=t.sleep)
    assert t.sleeps == [9]  # after the 25 s run: the next at once; then one interval, not two runs to catch up
    assert "next now" in capsys.readouterr().err.splitlines()[0]


def test_failed_runs_are_a_line_each_and_the_schedule_goes_on(capsys, monkeypatch):
    monkeypatch.delenv("DBXRAY_DEBUG", raising=False)
    t = FakeTime()
    seen = []

    def run(n):
        seen.append(n)
        if n == 1:
            raise ConnectionFailed("cannot connect to postgresql://app:s3cret@db/shop: connection refused")
        if n == 2:
            raise RuntimeError("a bug")
        if n == 3:
            raise BadInput("the history store is read-only")
        return Outcome(0, "0 critical, 0 warning, 0 info")

    assert repeat(run, 0, count=4, clock=t.clock, sleep=t.sleep) == 3
    assert seen == [1, 2, 3, 4]
    err = capsys.readouterr().err
    assert "s3cret" not in err
    lines = err.splitlines()
    assert "exit 2, error: cannot connect" in lines[0]
    assert "exit 3, internal error: RuntimeError: a bug" in lines[1]
    assert "exit 2, error: the history store is read-only" in lines[2]
    assert "Traceback" not in err


def test_a_mistake_on_the_first_run_stops_the_schedule():
    t = FakeTime()

    def run(n):
        raise BadInput("not a PostgreSQL or MySQL DSN")

    with pytest.raises(BadInput):
        repeat(run, 60, clock=t.clock, sleep=t.sleep)
    assert t.sleeps == []


def test_an_interrupt_stops_the_schedule():
    t = FakeTime()

    def run(n):
        if n == 2:
            raise KeyboardInterrupt
        return Outcome(0)

    with pytest.raises(KeyboardInterrupt):
        repeat(run, 5, clock=t.clock, sleep=t.sleep)


@pytest.mark.parametrize("args,message", [
    (["--every", "1m", "--snapshot", "x.json"], "--every reports on a live database"),
    (["--every", "1m", "--llm-dry-run"], "--every reports on a live database"),
    (["--count", "3"], "--count applies to --every only"),
    (["--every", "often"], "is not an interval"),
    (["--every", "1m", "--dsn", "mongodb://x/y"], ""),
])
def test_bad_schedule_options_are_one_line(args, message):
    proc = subprocess.run([DBXRAY, "report", *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbxray: error:") and message in lines[0], proc.stderr
    assert proc.stdout == ""


# -- on a real server ------------------------------------------------------------------------------

@pytest.fixture
def shop(pg):
    name = pg.new_database("every")
    pg.run(name, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; "
                 "CREATE TABLE items (id int PRIMARY KEY, price int); "
                 "INSERT INTO items SELECT g, g % 100 FROM generate_series(1, 1000) g; ANALYZE items;")
    yield pg, name
    pg.drop_database(name)


def _single(dsn: str, out: Path) -> SingleReport:
    return SingleReport(dsn=dsn, fmt=Format.json, output=out, fail_on=None, cfg=Config(), save=None, baseline=None,
                        history=None, keep_days=None, snapshot=None, limits=Limits(), progress=False,
                        allow_partial=True, raw_queries=False, diagnosis_only=False, webhook=None,
                        llm_settings=None, llm_dry_run=False)


def _calls(doc: dict, pattern: str) -> list[dict]:
    return [s for s in doc["summary"]["statements"] if re.search(pattern, s["query"] or "")]


def test_each_report_covers_the_interval_since_the_previous_run_and_sees_a_regression(shop, tmp_path):
    server, name = shop
    out = tmp_path / "report.json"
    single = _single(server.dsn(name), out)
    docs = []

    def run(n):
        with server.connect(name) as conn:  # the application's work between two runs
            for i in range({1: 10, 2: 60, 3: 60}[n]):
                conn.execute("SELECT pg_sleep(%s), price FROM items WHERE id = %s", (0.012 if n == 3 else 0.002, i))
        outcome = single.run(n)
        docs.append(json.loads(out.read_text()))
        return outcome

    assert repeat(run, 0, count=3) == 0
    first, second, third = docs
    assert "interval" not in first["summary"] or not first["summary"]["interval"]
    assert second["summary"]["interval"]["seconds"] > 0
    assert [s["calls"] for s in _calls(second, "pg_sleep")] == [60]  # this interval's calls only, not 70
    assert [s["calls"] for s in _calls(third, "pg_sleep")] == [60]
    regressions = [f for f in third["findings"] if f["check"] == "regression"]
    assert any("pg_sleep" in (f["evidence"].get("query") or "") for f in regressions), third["findings"]
    # the run before the previous one keeps its statements only: nothing older is held
    assert single.last.previous is not None and single.last.previous.previous is None
    assert set(single.last.previous.frames) <= {"statements", "statements_info", "server", "database",
                                                "xact_stats", "status"}


needs_pg = pytest.mark.skipif(find_postgres_bindir() is None, reason="needs PostgreSQL server binaries")


class Lines:
    """stderr of a running process, line by line, waited on with a deadline."""

    def __init__(self, stream):
        self.q: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=lambda: [self.q.put(line) for line in stream], daemon=True).start()

    def wait_for(self, pattern: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.q.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in {timeout} s: {self.seen}")


@needs_pg
def test_the_schedule_outlives_a_server_restart_and_stops_on_sigterm(tmp_path):
    with PostgresSandbox(fast=True) as box:
        box.psql("CREATE DATABASE shop")
        box.psql("CREATE EXTENSION pg_stat_statements; CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 100) g",
                 "shop")
        dsn, out = box.dsn("shop"), tmp_path / "latest.json"
        proc = subprocess.Popen([DBXRAY, "report", "--every", "1s", "--dsn", dsn, "--format", "json", "-o", str(out),
                                 "--no-progress", "--connect-timeout", "3"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            err = Lines(proc.stderr)
            assert "exit 0" in err.wait_for(r"run 1 at ")
            pg_ctl = str(box.bindir / "pg_ctl")
            box._run(pg_ctl, "-D", str(box.datadir), "-m", "fast", "-w", "stop")
            failed = err.wait_for(r"run \d+ at .*exit 2")
            assert "error: cannot reach" in failed and "connection refused" in failed, failed
            box._run(pg_ctl, "-D", str(box.datadir), "-l", str(box.root / "server.log"), "-w", "start")
            back = err.wait_for(r"run \d+ at .*exit [04],")
            assert int(re.search(r"run (\d+)", back).group(1)) > int(re.search(r"run (\d+)", failed).group(1))
            doc = json.loads(out.read_text())  # the latest run's report, written whole
            assert doc["target"]["database"] == "shop"
            assert doc["summary"]["interval"]["seconds"] > 0  # since the run before it, across the restart
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        rest = proc.stderr.read() if proc.stderr else ""
        assert proc.returncode == 128 + signal.SIGTERM
        text = "\n".join(err.seen) + rest
        assert "Traceback" not in text
        with psycopg.connect(dsn, autocommit=True) as conn:
            deadline = time.monotonic() + 20
            while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbxray'"
                               ).fetchone()[0] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbxray'"
                                ).fetchone()[0] == 0


def test_mariadb_reports_each_interval(my, tmp_path):
    name = my.new_database("every")
    try:
        my.run(name, "CREATE TABLE items (id int PRIMARY KEY, price int); "
                     "INSERT INTO items SELECT seq, seq % 100 FROM seq_1_to_1000;")
        out = tmp_path / "report.json"
        single = _single(my.dsn(name), out)
        docs = []

        def run(n):
            with my.admin(name) as conn, conn.cursor() as cur:
                for i in range(25):
                    cur.execute("SELECT price FROM items WHERE price = %s", (i,))
            outcome = single.run(n)
            docs.append(json.loads(out.read_text()))
            return outcome

        assert repeat(run, 0, count=2) == 0
        assert docs[1]["summary"]["interval"]["seconds"] > 0
        assert [s["calls"] for s in _calls(docs[1], r"FROM `?items`? WHERE `?price`? =")] == [25]
    finally:
        my.drop_database(name)


def test_a_scheduled_report_yields_more_than_a_one_off(monkeypatch):
    """``--pace auto`` is 0.1 for a report someone waits on, 0.03 for a service; an explicit share stays."""
    import dbxray.commands.report as report_cmd
    from dbxray.pacing import DEFAULT_SHARE, SCHEDULED_SHARE, parse_pace

    seen = []
    monkeypatch.setattr(report_cmd, "repeat", lambda run, every, count: seen.append(run.__self__.cfg) or 0)
    monkeypatch.setattr(report_cmd.SingleReport, "run", lambda self, n: seen.append(self.cfg) or Outcome(0))
    from typer.testing import CliRunner

    from dbxray.cli import app

    dsn = "postgresql://nobody@127.0.0.1:1/x"
    for args in (["--every", "1m"], ["--every", "1m", "--pace", "0.5"], []):
        assert CliRunner().invoke(app, ["report", "--dsn", dsn, *args]).exit_code == 0
    shares = [parse_pace(cfg.report_option("pace", "auto")) for cfg in seen]
    assert shares == [SCHEDULED_SHARE, 0.5, DEFAULT_SHARE]
    assert SCHEDULED_SHARE < DEFAULT_SHARE
