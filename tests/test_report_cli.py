"""`dbxray report` as a user drives it: formats, files, CI gates, config, snapshots and deltas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dbxray.snapshot import Snapshot

DBXRAY = str(Path(sys.executable).with_name("dbxray"))


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([DBXRAY, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def shop(pg):
    name = pg.new_database("cli")
    pg.run(name, """
        CREATE EXTENSION pg_stat_statements;
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total int);
        CREATE TABLE audit (at timestamptz, what text);
        INSERT INTO orders SELECT g, g % 1000, g FROM generate_series(1, 30000) g;
        ANALYZE;
    """)
    yield pg, name
    pg.drop_database(name)


def test_json_report_follows_the_contract(shop):
    pg, name = shop
    result = cli("report", "--format", "json", "--dsn", pg.dsn(name))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == "1.0" and data["tool"]["name"] == "dbxray"
    assert data["target"] == {"engine": "postgres", "flavor": "postgres", "server_version": data["target"]
                              ["server_version"], "database": name, "host": "127.0.0.1"}
    assert data["collected_at"].endswith("Z")
    assert {c["status"] for c in data["collection"]["collectors"]} <= {"ok", "skipped", "error", "timeout"}
    for f in data["findings"]:
        assert set(f) == {"id", "check", "severity", "title", "object", "evidence", "recommendation", "sql",
                          "source"}
        assert f["severity"] in ("critical", "warning", "info") and f["source"] == "rules"
    ids = [f["id"] for f in data["findings"]]
    assert len(ids) == len(set(ids)) and all(i.startswith(f["check"] + ":") for i, f in zip(ids, data["findings"]))
    assert "missing_primary_key:public.audit" in ids
    # the diagnosis comes first and only names findings of this report
    assert list(data).index("diagnosis") < list(data).index("findings")
    assert set(data["diagnosis"]) == {"summary", "bottlenecks"} and data["diagnosis"]["summary"]
    for b in data["diagnosis"]["bottlenecks"]:
        assert set(b["finding_ids"]) <= set(ids)
    assert any(f["check"] == "missing_primary_key" and f["object"]["table"] == "audit" for f in data["findings"])
    assert result.stdout.lstrip().startswith("{")  # no progress noise on stdout


def test_markdown_and_text_to_a_file(shop, tmp_path):
    pg, name = shop
    out = tmp_path / "r.md"
    assert cli("report", "--format", "markdown", "-o", str(out), "--dsn", pg.dsn(name)).returncode == 0
    md = out.read_text()
    assert md.startswith("# dbxray report") and "`missing_primary_key`" in md and "```sql" in md
    text = cli("report", "--dsn", pg.dsn(name))
    assert text.returncode == 0 and "missing_primary_key" in text.stdout and "\x1b[" not in text.stdout


def test_fail_on_is_a_ci_gate(shop, tmp_path):
    pg, name = shop
    assert cli("report", "--fail-on", "warning", "--format", "json", "--dsn", pg.dsn(name)).returncode == 1
    # the test server runs with fsync off (critical); with that check switched off nothing is critical
    config = tmp_path / "gate.toml"
    config.write_text("[checks.setting]\nenabled = false\n")
    assert cli("report", "--fail-on", "critical", "--format", "json", "--dsn", pg.dsn(name)).returncode == 1
    assert cli("report", "--fail-on", "critical", "--config", str(config), "--format", "json",
               "--dsn", pg.dsn(name)).returncode == 0


def test_config_overrides_and_rejects_unknown_options(shop, tmp_path):
    pg, name = shop
    (tmp_path / "dbxray.toml").write_text("[checks.missing_primary_key]\nenabled = false\n")
    data = json.loads(cli("report", "--format", "json", "--dsn", pg.dsn(name), cwd=tmp_path).stdout)
    assert not [f for f in data["findings"] if f["check"] == "missing_primary_key"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[checks.slow_query]\nmean_msec = 5\n")
    result = cli("report", "--config", str(bad), "--dsn", pg.dsn(name))
    assert result.returncode == 2 and "'mean_msec'; did you mean 'mean_ms'?" in result.stderr
    assert result.stderr.count("\n") == 1


def test_snapshot_round_trip_and_interval_report(shop, tmp_path):
    pg, name = shop
    with pg.connect(name) as conn:
        for i in range(150):
            conn.execute("SELECT total FROM orders WHERE customer_id = %s", (i,))
    first = tmp_path / "first.json.gz"
    live = cli("report", "--format", "json", "--save", str(first), "--dsn", pg.dsn(name))
    assert live.returncode == 0
    snap = Snapshot.load(first)
    assert snap.engine == "postgres" and not snap["statements"].empty
    # the same report from the saved snapshot, without a server
    online = json.loads(live.stdout)
    offline = json.loads(cli("report", "--format", "json", "--snapshot", str(first)).stdout)
    # a snapshot has no session: the live analysis (plans, index proofs) is not repeated offline
    assert offline["findings"] == [f for f in online["findings"] if "analysis" not in f["evidence"]]
    assert offline["summary"]["statements"] == online["summary"]["statements"]
    with pg.connect(name) as conn:
        for i in range(40):
            conn.execute("SELECT count(*) FROM orders WHERE total > %s", (i,))
    data = json.loads(cli("report", "--format", "json", "--baseline", str(first), "--dsn", pg.dsn(name)).stdout)
    assert data["summary"]["interval"]["seconds"] > 0
    by_query = {s["query"]: s for s in data["summary"]["statements"]}
    assert any("total > $1" in q and s["calls"] == 40 for q, s in by_query.items())
    assert not any("customer_id = $1" in q for q in by_query)  # nothing new happened to it


def test_bad_snapshot_file_is_one_line(tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    result = cli("report", "--snapshot", str(junk))
    assert result.returncode == 2 and result.stderr.startswith("dbxray: error: not a dbxray snapshot")
    missing = cli("report", "--snapshot", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_help_lists_every_command():
    result = cli("--help")
    assert result.returncode == 0
    for command in ("report", "demo", "explain", "indexes"):
        assert command in result.stdout


def test_history_reports_what_changed_since_the_last_run(pg, tmp_path):
    name = pg.new_database("hist")
    try:
        pg.run(name, """
            CREATE EXTENSION pg_stat_statements;
            CREATE TABLE parent (id int PRIMARY KEY);
            CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent(id));
            INSERT INTO parent SELECT generate_series(1, 3000);
            INSERT INTO child SELECT g, 1 + g % 3000 FROM generate_series(1, 20000) g;
        """)
        pg.run(name, "ANALYZE")
        history = tmp_path / "history"
        first = cli("report", "--format", "json", "--history", str(history), "--dsn", pg.dsn(name))
        assert first.returncode == 0, first.stderr
        assert "changes" not in json.loads(first.stdout)["summary"]  # nothing to compare with yet
        assert len(list(history.glob("dbxray-*.json.gz"))) == 1
        # between the runs: the missing foreign-key index is fixed, and a table without a key appears
        pg.run(name, "CREATE INDEX ON child (parent_id); CREATE TABLE scratch (x int)")
        second = cli("report", "--format", "markdown", "--history", str(history), "--dsn", pg.dsn(name))
        assert second.returncode == 0, second.stderr
        assert "## Since the last run" in second.stdout
        assert "✅ resolved: `missing_fk_index`" in second.stdout
        assert "`missing_primary_key` Table scratch has no primary key" in second.stdout
        assert len(list(history.glob("dbxray-*.json.gz"))) == 2
    finally:
        pg.drop_database(name)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_history_in_a_store_url_then_listed_and_pruned(pg, tmp_path, kind):
    name = pg.new_database("hist")
    store_db = pg.new_database("fleet") if kind == "postgres" else None
    try:
        pg.run(name, "CREATE TABLE parent (id int PRIMARY KEY); "
                     "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent(id)); "
                     "INSERT INTO parent SELECT generate_series(1, 3000); "
                     "INSERT INTO child SELECT g, 1 + g % 3000 FROM generate_series(1, 20000) g; ANALYZE")
        url = f"sqlite:///{tmp_path / 'history.db'}" if kind == "sqlite" else pg.dsn(store_db)
        first = cli("report", "--format", "json", "--history", url, "--dsn", pg.dsn(name), "--allow-partial")
        assert first.returncode == 0, first.stderr
        pg.run(name, "CREATE INDEX ON child (parent_id)")
        second = cli("report", "--format", "json", "--history", url, "--keep-days", "30", "--dsn", pg.dsn(name),
                     "--allow-partial")
        assert second.returncode == 0, second.stderr
        changes = json.loads(second.stdout)["summary"]["changes"]
        assert "missing_fk_index" in [f["check"] for f in changes["resolved"]]
        runs = json.loads(cli("history", "--history", url, "--format", "json").stdout)["runs"]
        assert len(runs) == 2  # both younger than 30 days
        assert runs[0]["findings"] == json.loads(second.stdout)["summary"]["findings"]
    finally:
        pg.drop_database(name)
        if store_db:
            pg.drop_database(store_db)


def test_output_to_a_device_or_a_pipe_is_written_in_place(shop, tmp_path):
    """``-o`` writes a regular file atomically (tmp + rename), but a device or a named pipe is written
    in place: renaming over /dev/null (as a cron line might ask) would replace the device with a file."""
    import os
    import stat
    import threading

    pg, name = shop
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    result = cli("report", "--format", "json", "-o", str(fifo), "--dsn", pg.dsn(name))
    reader.join(60)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode) and json.loads(got[0])["kind"] == "report"
    assert not (tmp_path / "report.pipe.tmp").exists()
    devnull = cli("report", "--format", "json", "-o", os.devnull, "--dsn", pg.dsn(name))
    assert devnull.returncode == 0 and stat.S_ISCHR(os.stat(os.devnull).st_mode)
