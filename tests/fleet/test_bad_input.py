"""The issue's bad input, with --all: an unreachable store, a read-only store, a store from a newer
dbxray, a damaged snapshot in the store, a failed webhook. Each is one clear line, every target's
report is still written, and nothing already in the store is lost."""

from __future__ import annotations

import gzip
import json
import sqlite3

import psycopg
import pytest

from dbxray.demo.sandbox import free_port
from dbxray.store import open_store
from tests.fleet.conftest import cli, fleet_env, lines_about, table, targets_toml, write_config
from tests.fleet.hook_server import HookServer


@pytest.fixture
def two(shops, tmp_path):
    pg, names = shops
    targets = {"a": pg.dsn(names[0]), "b": pg.dsn(names[1])}
    write_config(tmp_path, targets_toml(targets))
    return pg, targets, tmp_path


def run(tmp_path, targets, *args):
    return cli("report", "--all", "--format", "json", "-o", "out", *args, cwd=tmp_path, env=fleet_env(targets))


def store_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "history store" in line]


def assert_reports_written(tmp_path, names=("a", "b")):
    for name in names:
        assert json.loads((tmp_path / "out" / f"{name}.json").read_text())["kind"] == "report"


def test_an_unreachable_store_is_one_line_and_the_reports_are_written(two):
    _pg, targets, tmp_path = two
    result = run(tmp_path, targets, "--history", f"postgresql://dbx:pw-st0re-5e@127.0.0.1:{free_port()}/fleet")
    assert result.returncode == 2
    lines = store_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("dbxray: error: history store: ") and "refused" in lines[0]
    assert "the reports are written without history" in lines[0] and "pw-st0re-5e" not in result.stderr
    assert_reports_written(tmp_path)
    assert [row[1] for row in table(result.stderr).values()] == ["ok", "ok"]


def test_a_read_only_store_is_one_line_and_its_runs_are_kept(two):
    pg, targets, tmp_path = two
    name = pg.new_database("rostore")
    try:
        url = pg.dsn(name)
        first = run(tmp_path, targets, "--history", url)
        assert first.returncode == 0, first.stderr
        pg.run("postgres", f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        result = run(tmp_path, targets, "--history", url, "--keep-days", "0.001")
        assert result.returncode == 2
        lines = store_lines(result.stderr)
        assert len(lines) == 1 and "read-only" in lines[0], result.stderr
        assert_reports_written(tmp_path)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT target_label FROM dbxray.runs ORDER BY 1").fetchall() == [("a",), ("b",)]
    finally:
        pg.drop_database(name)


def test_a_store_from_a_newer_dbxray_is_refused_untouched(two):
    _pg, targets, tmp_path = two
    db = tmp_path / "history.db"
    assert run(tmp_path, targets, "--history", f"sqlite:///{db}").returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, '2030-01-01', '9.0.0')")
        before = conn.execute("SELECT id, target_label FROM runs ORDER BY id").fetchall()
    result = run(tmp_path, targets, "--history", f"sqlite:///{db}")
    assert result.returncode == 2
    lines = store_lines(result.stderr)
    assert len(lines) == 1 and "schema version 99" in lines[0] and "upgrade dbxray" in lines[0]
    assert_reports_written(tmp_path)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, target_label FROM runs ORDER BY id").fetchall() == before
        assert max(v for (v,) in conn.execute("SELECT version FROM schema_version")) == 99


def test_a_damaged_snapshot_in_the_store_is_skipped_with_one_line_and_kept(two):
    _pg, targets, tmp_path = two
    runs = tmp_path / "runs"
    assert run(tmp_path, targets, "--history", str(runs)).returncode == 0
    with open_store(runs, readonly=True) as store:
        damaged = next(r.id for r in store.runs() if r.target_label == "a")
    path = next(runs.glob(f"{damaged}*.json.gz"))
    path.write_bytes(gzip.compress(b"{not json")[:20])
    result = run(tmp_path, targets, "--history", str(runs))
    assert result.returncode == 0, result.stderr
    lines = lines_about(result.stderr, "a")
    assert len(lines) == 1 and f"run {damaged}" in lines[0] and "is damaged" in lines[0], result.stderr
    assert lines_about(result.stderr, "b") == []
    assert_reports_written(tmp_path)
    assert path.exists()  # left for a human to look at
    b = json.loads((tmp_path / "out" / "b.json").read_text())
    assert "changes" in b["summary"]  # b compared with its previous run as usual
    with open_store(runs, readonly=True) as store:
        assert sorted(r.target_label for r in store.runs()) == ["a", "a", "b", "b"]


def test_a_failed_webhook_is_one_line_and_exit_4_with_the_reports_written(two):
    _pg, targets, tmp_path = two
    hook = HookServer(statuses=[500])
    try:
        result = run(tmp_path, targets, "--webhook", hook.url)
    finally:
        hook.close()
    assert result.returncode == 4
    lines = [line for line in result.stderr.splitlines() if "webhook" in line]
    assert len(lines) == 1 and "HTTP 500" in lines[0] and "SECRET-TOKEN" not in result.stderr
    assert len(hook.requests) == 2  # one retry
    assert_reports_written(tmp_path)


def test_the_webhook_gets_the_summary_and_never_a_password(shops, tmp_path):
    pg, names = shops
    targets = {"a": pg.dsn(names[0]), "locked": pg.dsn(names[1], user="no_such_role", password="pw-h00k-77")}
    write_config(tmp_path, targets_toml(targets))
    hook = HookServer()
    try:
        fleet = cli("report", "--all", "--fail-on", "critical", "--webhook", hook.url, cwd=tmp_path,
                    env=fleet_env(targets))
        single = cli("report", "--dsn", pg.dsn(names[2]), "--format", "json", "--webhook", hook.url, cwd=tmp_path)
    finally:
        hook.close()
    assert fleet.returncode == 2 and single.returncode == 0, (fleet.stderr, single.stderr)
    body = hook.json(0)
    assert body["text"].startswith("dbxray fleet report: 2 targets, 1 reported, 1 failed; exit 2")
    assert "`locked`: ❌ cannot connect to 127.0.0.1:" in body["text"]  # where, not how to log in
    assert f"`a` {names[0]}@127.0.0.1 (postgres): " in body["text"]
    raw = hook.requests[0]["body"].decode() + hook.requests[1]["body"].decode()
    assert "pw-h00k-77" not in raw
    assert "postgresql://" not in raw
    one = hook.json(1)
    assert one["text"].startswith("dbxray report: exit 0") and f"{names[2]}@127.0.0.1" in one["text"]
    assert json.loads(single.stdout)["target"]["database"] == names[2]
