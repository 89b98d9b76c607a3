"""``dbxray report --all`` as cron runs it, on real databases: every target reported, failures one line
each, the summary table, per-target thresholds and ignores, outputs per format, the exit code."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dbxray.demo.sandbox import free_port
from tests.fleet.conftest import DBXRAY, cli, fleet_env, lines_about, table, targets_toml, write_config


def good_targets(pg, names) -> dict[str, str]:
    return {"a": pg.dsn(names[0]), "b": pg.dsn(names[1]), "c": pg.dsn(names[2])}


def test_failing_targets_are_one_line_each_and_never_stop_the_others(shops, tmp_path):
    pg, names = shops
    targets = {**good_targets(pg, names), "no-env": None,
               "down": f"postgresql://monitor:pw-d0wn-9c@127.0.0.1:{free_port()}/shop",
               "bad-role": pg.dsn(names[0], user="no_such_role", password="pw-r0le-1d")}
    write_config(tmp_path, targets_toml(targets))
    result = cli("report", "--all", "--jobs", "3", "--format", "json", "-o", "out", cwd=tmp_path,
                 env=fleet_env(targets))
    assert result.returncode == 2, result.stderr
    for name, expected in (("no-env", "error: environment variable DSN_NO_ENV is not set (dsn_env of "
                                      "[targets.no-env])"), ("down", "error: "), ("bad-role", "error: ")):
        lines = lines_about(result.stderr, name)
        assert len(lines) == 1 and lines[0].startswith(f"dbxray: {name}: {expected}"), result.stderr
    assert "connection refused" in lines_about(result.stderr, "down")[0].lower()
    assert "pw-d0wn-9c" not in result.stderr + result.stdout and "pw-r0le-1d" not in result.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.json", "c.json"]
    for name, db in zip("abc", names):
        assert json.loads((out / f"{name}.json").read_text())["target"]["database"] == db
    rows = table(result.stderr)
    assert list(rows) == ["a", "b", "c", "no-env", "down", "bad-role"]  # the config's order
    assert [rows[n][:2] for n in ("a", "no-env", "down")] == [["0", "ok"], ["2", "error"], ["2", "error"]]
    assert rows["a"][2:5] == [str(v) for v in json.loads((out / "a.json").read_text())["summary"]["findings"]
                              .values()]
    assert "6 target(s): 3 reported, 3 failed; exit 2" in result.stderr
    assert result.stdout == ""


def test_without_o_the_reports_then_the_table_go_to_stdout(shops, tmp_path):
    pg, names = shops
    targets = good_targets(pg, names)
    write_config(tmp_path, targets_toml({"a": targets["a"], "b": targets["b"]}))
    text = cli("report", "--all", "--diagnosis-only", cwd=tmp_path, env=fleet_env(targets))
    assert text.returncode == 0, text.stderr
    assert text.stdout.index("── a ─") < text.stdout.index("── b ─") < text.stdout.index("TARGET ")
    assert text.stdout.count("dbxray diagnosis ") == 2
    assert text.stdout.rstrip().endswith("2 target(s): 2 reported, 0 failed; exit 0")
    as_json = cli("report", "--all", "--format", "json", cwd=tmp_path, env=fleet_env(targets))
    assert as_json.returncode == 0, as_json.stderr
    doc = json.loads(as_json.stdout)  # stdout stays one JSON document: the table went to stderr
    assert doc["kind"] == "fleet" and doc["exit_code"] == 0
    assert [(t["name"], t["report"]["target"]["database"]) for t in doc["targets"]] == list(zip("ab", names))
    assert "diagnosis" in doc["targets"][0]["report"] and "TARGET " in as_json.stderr


def test_per_target_thresholds_and_ignores_change_that_target_only(shops, tmp_path):
    pg, names = shops
    targets = good_targets(pg, names)
    write_config(tmp_path, """
        [checks.missing_fk_index]
        warn_rows = 50000
        [targets.a]
        dsn_env = "DSN_A"
        ignore = ["missing_primary_key", "missing_fk_index:public.orders"]
        [targets.b]
        dsn_env = "DSN_B"
        [targets.b.checks.missing_fk_index]
        warn_rows = 10000
        [targets.c]
        dsn_env = "DSN_C"
    """)
    result = cli("report", "--all", "--format", "json", "-o", "out", cwd=tmp_path, env=fleet_env(targets))
    assert result.returncode == 0, result.stderr
    reports = {n: json.loads((tmp_path / "out" / f"{n}.json").read_text()) for n in "abc"}

    def fk(report):
        return [f["severity"] for f in report["findings"] if f["check"] == "missing_fk_index"]

    def checks(report):
        return {f["check"] for f in report["findings"]}

    assert fk(reports["a"]) == [] and "missing_primary_key" not in checks(reports["a"])
    ids_a = {f["id"] for f in reports["a"]["findings"]}
    for b in reports["a"]["diagnosis"]["bottlenecks"]:  # no bottleneck is built on an ignored finding
        assert set(b["finding_ids"]) <= ids_a
    assert fk(reports["b"]) == ["warning"]  # its own threshold: 20,000 rows is over 10,000
    assert fk(reports["c"]) == ["info"]  # the global one: under 50,000 rows
    assert "missing_primary_key" in checks(reports["b"]) and "missing_primary_key" in checks(reports["c"])


def test_the_exit_code_is_the_highest_of_the_targets(shops, tmp_path):
    pg, names = shops
    targets = good_targets(pg, names)
    write_config(tmp_path, targets_toml({"a": targets["a"], "b": targets["b"]}))
    gated = cli("report", "--all", "--fail-on", "warning", "-o", "out", cwd=tmp_path, env=fleet_env(targets))
    assert gated.returncode == 1, gated.stderr
    assert len(lines_about(gated.stderr, "a")) == 1 and "finding(s) at or above warning" in gated.stderr
    assert {row[1] for row in table(gated.stderr).values()} == {"fail-on"}
    write_config(tmp_path, targets_toml({"a": targets["a"], "gone": None}))
    worst = cli("report", "--all", "--fail-on", "warning", "-o", "out", cwd=tmp_path, env=fleet_env(targets))
    assert worst.returncode == 2 and [r[0] for r in table(worst.stderr).values()] == ["1", "2"]


def test_history_keeps_each_target_under_its_name(shops, tmp_path):
    """Two names for the same database keep two histories; the second run reports what changed."""
    pg, names = shops
    targets = {"a": pg.dsn(names[0]), "a-replica-view": pg.dsn(names[0]), "b": pg.dsn(names[1])}
    write_config(tmp_path, targets_toml(targets))
    store = tmp_path / "history.db"
    for _ in range(2):
        result = cli("report", "--all", "--format", "json", "-o", "out", "--history", f"sqlite:///{store}",
                     "--keep-days", "30", cwd=tmp_path, env=fleet_env(targets))
        assert result.returncode == 0, result.stderr
    with sqlite3.connect(store) as conn:
        runs = conn.execute("SELECT target_label, target_key FROM runs ORDER BY id").fetchall()
    assert sorted(label for label, _ in runs) == ["a", "a", "a-replica-view", "a-replica-view", "b", "b"]
    port = urlsplit(pg.dsn(names[0])).port
    assert {key for label, key in runs if label == "a-replica-view"} == \
        {f"postgres://127.0.0.1:{port}/{names[0]}#a-replica-view"}
    report = json.loads((tmp_path / "out" / "a.json").read_text())
    assert "changes" in report["summary"] and report["summary"]["interval"]["seconds"] > 0
    assert len(report["history"]["runs"]) == 2  # the trend block: this name's runs only
    listing = subprocess.run([DBXRAY, "history", "--history", f"sqlite:///{store}", "--target", "a-replica-view"],
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0 and len(listing.stdout.strip().splitlines()) == 3  # header + 2 runs
    page = cli("report", "--all", "--format", "html", "-o", "pages", "--history", f"sqlite:///{store}", cwd=tmp_path,
               env=fleet_env(targets))
    assert page.returncode == 0, page.stderr
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == ["a-replica-view.html", "a.html", "b.html"]
    assert (tmp_path / "pages" / "a.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_prometheus_files_per_target_for_the_textfile_collector(shops, tmp_path):
    pg, names = shops
    targets = {"a": pg.dsn(names[0]), "down": f"postgresql://monitor@127.0.0.1:{free_port()}/shop"}
    write_config(tmp_path, targets_toml(targets))
    textfile = tmp_path / "textfile"
    result = cli("report", "--all", "--format", "prometheus", "-o", str(textfile), cwd=tmp_path,
                 env=fleet_env(targets))
    assert result.returncode == 2, result.stderr
    assert sorted(p.name for p in textfile.iterdir()) == ["a.prom", "down.prom"]  # no *.prom.tmp left
    up = {}
    for path in textfile.iterdir():
        for family in text_string_to_metric_families(path.read_text()):
            if family.name == "dbxray_up":
                up.update({s.labels["target"]: s.value for s in family.samples})
    assert up == {"a": 1.0, "down": 0.0}
    stdout = cli("report", "--all", "--format", "prometheus", cwd=tmp_path, env=fleet_env(targets))
    families = {f.name: f for f in text_string_to_metric_families(stdout.stdout)}  # one exposition, both targets
    assert {s.labels["target"] for s in families["dbxray_exit_code"].samples} == {"a", "down"}
    assert "TARGET " in stdout.stderr and "TARGET " not in stdout.stdout


def test_option_mistakes_are_one_line(shops, tmp_path):
    pg, names = shops
    write_config(tmp_path, targets_toml({"a": pg.dsn(names[0])}))
    (tmp_path / "file.txt").write_text("x")
    for args, expected in (
        (["--all", "--dsn", pg.dsn(names[0])], "cannot be combined with --dsn"),
        (["--jobs", "2", "--dsn", pg.dsn(names[0])], "--jobs applies to --all only"),
        (["--all", "-o", "file.txt"], "with --all, -o names a directory"),
        (["--all", "--webhook", "file:///etc/passwd"], "--webhook must be an http:// or https:// URL"),
        (["-o", str(tmp_path), "--dsn", pg.dsn(names[0])], "is a directory: give a file name"),
    ):
        result = cli("report", *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    write_config(tmp_path, "[checks.slow_query]\nmean_ms = 50\n")
    none = cli("report", "--all", cwd=tmp_path)
    assert none.returncode == 2 and "no [targets.NAME] in dbxray.toml" in none.stderr


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_all_targets_at_once(tmp_path, signum, code):
    """Targets stuck in a connect (a server that accepts and never answers) do not hold Ctrl-C (or a
    Kubernetes SIGTERM) up."""
    with socket.socket() as blackhole:
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(16)
        port = blackhole.getsockname()[1]
        targets = {f"stuck{i}": f"postgresql://monitor@127.0.0.1:{port}/shop" for i in range(6)}
        write_config(tmp_path, targets_toml(targets))
        proc = subprocess.Popen([DBXRAY, "report", "--all", "--jobs", "3", "--connect-timeout", "60"], cwd=tmp_path,
                                env={**fleet_env(targets), "PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(3)  # started, imported, three targets waiting on the server
        assert proc.poll() is None
        t0 = time.monotonic()
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=20)
        assert proc.returncode == code, err
        assert time.monotonic() - t0 < 3, "Ctrl-C waited for the stuck targets"
        assert "dbxray: interrupted: 0 of 6 target(s) finished (their files are complete), 6 stopped" in err


def test_a_fleet_mixes_postgresql_and_mariadb(shops, my_db, tmp_path):
    pg, names = shops
    my, my_name = my_db
    my.run(my_name, "CREATE TABLE audit (at datetime, what text); INSERT INTO audit VALUES (NOW(), 'x');")
    targets = {"pg-shop": pg.dsn(names[0]), "maria-shop": my.dsn(my_name)}
    write_config(tmp_path, targets_toml(targets))
    result = cli("report", "--all", "--format", "json", "-o", "out", "--allow-partial", cwd=tmp_path,
                 env=fleet_env(targets))
    assert result.returncode == 0, result.stderr
    flavors = {n: json.loads((tmp_path / "out" / f"{n}.json").read_text())["target"]["flavor"] for n in targets}
    assert flavors == {"pg-shop": "postgres", "maria-shop": "mariadb"}
    maria = json.loads((tmp_path / "out" / "maria-shop.json").read_text())
    assert any(f["check"] == "missing_primary_key" and f["object"]["table"] == "audit" for f in maria["findings"])


def test_a_crash_in_one_target_is_one_line_and_exit_3(shops, tmp_path):
    """A bug hit by one database (planted in the real entry point) costs that target only."""
    pg, names = shops
    targets = {"a": pg.dsn(names[0]), "b": pg.dsn(names[1])}
    write_config(tmp_path, targets_toml(targets))
    inject = f"""
import dbxray.pipeline as pipeline
real = pipeline.live_report
def broken(session, *args, **kwargs):
    if session.database == {names[1]!r}:
        raise ZeroDivisionError("planted for b")
    return real(session, *args, **kwargs)
pipeline.live_report = broken
import sys
from dbxray.cli import main
sys.argv = ["dbxray", "report", "--all", "--format", "json", "-o", "out"]
main()
"""
    result = subprocess.run([sys.executable, "-c", inject], capture_output=True, text=True, timeout=180,
                            cwd=tmp_path, env={**os.environ, **fleet_env(targets)})
    assert result.returncode == 3, result.stderr
    assert lines_about(result.stderr, "b") == ["dbxray: b: internal error: ZeroDivisionError: planted for b"]
    assert "Traceback" not in result.stderr and lines_about(result.stderr, "a") == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json"]
    assert table(result.stderr)["b"][:3] == ["3", "internal", "error"]


def test_the_fleet_on_a_schedule_reports_each_target_each_run_and_keeps_every_run(shops, tmp_path):
    """``report --all --every``: each run reports every target (a failing one costs its line, every run),
    the history keeps each run, and the highest exit code of the runs ends ``--count``."""
    pg, names = shops
    targets = {"a": pg.dsn(names[0]), "down": f"postgresql://monitor@127.0.0.1:{free_port()}/shop"}
    write_config(tmp_path, targets_toml(targets))
    store = tmp_path / "history.db"
    result = cli("report", "--all", "--every", "0", "--count", "2", "--format", "json", "-o", "out",
                 "--history", f"sqlite:///{store}", cwd=tmp_path, env=fleet_env(targets))
    assert result.returncode == 2, result.stderr
    runs = [ln for ln in result.stderr.splitlines() if ln.startswith("dbxray: run ")]
    assert [ln.split(" at ")[0] for ln in runs] == ["dbxray: run 1", "dbxray: run 2"]
    assert all(": exit 2" in ln for ln in runs), runs
    assert len(lines_about(result.stderr, "down")) == 2  # one line per run for the target that is down
    assert json.loads((tmp_path / "out" / "a.json").read_text())["target"]["database"] == names[0]
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 2  # target a, twice
    assert "Traceback" not in result.stderr
