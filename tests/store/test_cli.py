"""``dbxray history`` and ``dbxray diff`` as a user drives them, on runs of a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dbxray.demo.sandbox import free_port
from dbxray.pipeline import analyze_snapshot, collect_snapshot
from dbxray.store import open_store, run_summary, snapshot_target

DBXRAY = str(Path(sys.executable).with_name("dbxray"))


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([DBXRAY, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbxray: error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def two_runs(pg, tmp_path_factory):
    """Two runs of one database, as ``report --history`` keeps them: between them the missing
    foreign-key index is created and a table without a primary key appears."""
    name = pg.new_database("hist")
    tmp = tmp_path_factory.mktemp("cli")
    pg.run(name, """
        CREATE EXTENSION pg_stat_statements;
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent(id));
        INSERT INTO parent SELECT generate_series(1, 3000);
        INSERT INTO child SELECT g, 1 + g % 3000 FROM generate_series(1, 20000) g;
        ANALYZE;
    """)
    snaps = []
    for step in ("", "CREATE INDEX ON child (parent_id); CREATE TABLE scratch (x int)"):
        if step:
            pg.run(name, step)
        snap = collect_snapshot(pg.dsn(name))
        report = analyze_snapshot(snap)
        snap.meta["report_findings"] = [f.to_dict() for f in report.findings]
        snaps.append((snap, report))
    url = f"sqlite:///{tmp / 'history.db'}"
    ids, files = [], []
    with open_store(url) as store:
        for i, (snap, report) in enumerate(snaps):
            key, label = snapshot_target(snap, port=5432)
            ids.append(store.save_run(key, label, snap.collected_at, snap.to_bytes(), run_summary(report)))
            files.append(str(snap.save(tmp / f"run{i}.json.gz")))
    yield {"url": url, "ids": ids, "files": files, "label": label, "reports": [r for _, r in snaps], "tmp": tmp}
    pg.drop_database(name)


def test_history_lists_runs_newest_first_with_counts(two_runs):
    result = cli("history", "--history", two_runs["url"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "TARGET", "COLLECTED"]
    assert [line.split()[0] for line in lines[1:]] == two_runs["ids"][::-1]
    newest = two_runs["reports"][1].counts()
    assert lines[1].split()[4:7] == [str(newest["critical"]), str(newest["warning"]), str(newest["info"])]


def test_history_json_target_and_limit(two_runs):
    result = cli("history", "--history", two_runs["url"], "--format", "json", "--target", two_runs["label"],
                 "--limit", "1")
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)["runs"]
    assert [r["id"] for r in runs] == [two_runs["ids"][1]]
    assert runs[0]["findings"] == two_runs["reports"][1].counts()
    other = cli("history", "--target", "nothing-called-this", env={"DBXRAY_HISTORY": two_runs["url"]})
    assert other.returncode == 0 and other.stdout.startswith("no runs in sqlite:///")


@pytest.mark.parametrize("refs", ["ids", "files", "reversed"])
def test_diff_says_what_appeared_and_what_was_fixed(two_runs, refs):
    a, b = two_runs["files"] if refs == "files" else two_runs["ids"]
    if refs == "reversed":
        a, b = b, a
    result = cli("diff", a, b, "--history", two_runs["url"], "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert "## Since the last run" in result.stdout
    assert "✅ resolved: `missing_fk_index`" in result.stdout
    assert "`missing_primary_key` Table scratch has no primary key" in result.stdout


def test_history_and_diff_errors_are_one_line(two_runs, tmp_path):
    url = f"postgresql://dbx:pw-7c1d@127.0.0.1:{free_port()}/fleet"
    line = one_line_error(cli("history", "--history", url))
    assert "connection refused" in line and "pw-7c1d" not in line
    assert "no run '999'" in one_line_error(cli("diff", "999", two_runs["ids"][0], "--history", two_runs["url"]))
    assert "give --history STORE" in one_line_error(cli("diff", "1", "2"))
    damaged = tmp_path / "damaged.json.gz"
    damaged.write_bytes(b"\x1f\x8b\x08\x00 cut short")
    assert "not a dbxray snapshot" in one_line_error(cli("diff", str(damaged), two_runs["files"][1]))
    assert "no history store" in one_line_error(cli("history", "--history", str(tmp_path / "absent")))
    assert not (tmp_path / "absent").exists()
