"""Exit codes never say "fine" when it isn't: whatever was not checked makes the report incomplete
(exit 4, named on stderr, shown in every format); internal errors are exit 3; a config key that does
not exist is an error that names the nearest valid one.

Failures are injected into dbxray itself (a check that crashes, a collector whose SQL breaks, a live
analysis that fails, a module that cannot be imported) through a tiny wrapper that runs the real CLI
entry point in a subprocess; the servers are real.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest


def run(*args: str, inject: str = "", cwd=None) -> subprocess.CompletedProcess:
    """``dbxray ARGS`` through the real entry point, after ``inject`` (Python) has broken something."""
    argv = ["dbxray", *args]
    code = f"{textwrap.dedent(inject)}\nimport sys\nfrom dbxray.cli import main\nsys.argv = {argv!r}\nmain()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=cwd)


@pytest.fixture(scope="module")
def shop(pg):
    name = pg.new_database("complete")
    pg.run(name, "CREATE EXTENSION pg_stat_statements; CREATE TABLE t (id int PRIMARY KEY, v int);"
                 "INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g; ANALYZE;")
    yield pg, name
    pg.drop_database(name)


def _one_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    return lines[-1] if lines else ""


def test_complete_report_exits_0(shop):
    pg, name = shop
    result = run("report", "--format", "json", "--dsn", pg.dsn(name))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["incomplete"] == []


def test_a_crashing_check_makes_the_report_incomplete_in_every_format(shop, tmp_path):
    pg, name = shop
    inject = """
        from dbxray.checks import load_all
        def boom(snap, t):
            raise ZeroDivisionError("planted bug")
        load_all()[("missing_primary_key", "postgres")].func = boom
    """
    result = run("report", "--format", "json", "--dsn", pg.dsn(name), inject=inject)
    assert result.returncode == 4, result.stderr
    assert "missing_primary_key (ZeroDivisionError: planted bug)" in _one_line(result)
    data = json.loads(result.stdout)
    assert any("missing_primary_key" in r for r in data["summary"]["incomplete"])
    md = run("report", "--format", "markdown", "--dsn", pg.dsn(name), inject=inject)
    assert md.returncode == 4 and "**Report incomplete:**" in md.stdout and "planted bug" in md.stdout
    text = run("report", "--dsn", pg.dsn(name), inject=inject)
    assert text.returncode == 4 and "INCOMPLETE: 1 check(s) crashed" in text.stdout
    # a CI gate cannot pass on it either, and --allow-partial is the explicit way to accept it
    assert run("report", "--fail-on", "critical", "--dsn", pg.dsn(name), inject=inject).returncode in (1, 4)
    assert run("report", "--allow-partial", "--dsn", pg.dsn(name), inject=inject).returncode == 0


def test_a_failing_collector_makes_the_report_incomplete(shop):
    pg, name = shop
    inject = """
        import dataclasses, importlib
        collect = importlib.import_module("dbxray.collect")
        specs = collect.load_specs("postgres")
        broken = tuple(dataclasses.replace(s, sql="SELECT * FROM no_such_view_dbxray") if s.metric == "sequences"
                       else s for s in specs)
        collect.load_specs = lambda engine: broken if engine == "postgres" else specs
    """
    result = run("report", "--format", "json", "--dsn", pg.dsn(name), inject=inject)
    assert result.returncode == 4, result.stderr
    line = _one_line(result)
    assert "1 collector(s) failed" in line and "sequences" in line and "no_such_view_dbxray" in line


def test_a_failing_live_analysis_makes_the_report_incomplete(shop):
    pg, name = shop
    inject = """
        import dbxray.engines.postgres.advisor as advisor
        def broken(*a, **k):
            raise RuntimeError("advisor down")
        advisor.advise_postgres = broken
    """
    result = run("report", "--format", "json", "--dsn", pg.dsn(name), inject=inject)
    assert result.returncode == 4, result.stderr
    assert "live analysis failed in part: missing_index (RuntimeError: advisor down)" in _one_line(result)


def test_mariadb_without_performance_schema_is_incomplete_like_postgres_without_pgss(plain_db, pg_plain):
    server, name = plain_db
    my = run("report", "--format", "json", "--dsn", server.dsn(name))
    assert my.returncode == 4, my.stderr
    assert "performance_schema is not available" in _one_line(my) and "statement checks were skipped" in _one_line(my)
    assert run("report", "--allow-partial", "--dsn", server.dsn(name)).returncode == 0
    db = pg_plain.new_database("nopgss")
    try:
        pgr = run("report", "--format", "json", "--dsn", pg_plain.dsn(db))
        assert pgr.returncode == 4
        assert "pg_stat_statements is not available" in _one_line(pgr) and "statement checks were skipped" in \
            _one_line(pgr)
    finally:
        pg_plain.drop_database(db)


def test_an_import_time_bug_in_the_index_advisor_is_an_internal_error(my_db):
    server, name = my_db
    inject = """
        import sys
        sys.modules["dbxray.engines.mysql.advisor.advise"] = None  # importing it now raises ImportError
    """
    result = run("indexes", "--dsn", server.dsn(name), inject=inject)
    assert result.returncode == 3, result.stderr
    assert _one_line(result).startswith(("dbxray: internal error: ImportError",
                                         "dbxray: internal error: ModuleNotFoundError"))
    assert "not available in this build" not in result.stderr


@pytest.mark.parametrize("toml, message", [
    ("[checks.slow_querry]\nmean_ms = 5\n", "unknown check 'slow_querry'; did you mean 'slow_query'?"),
    ("[checks.slow_query]\nmean_msec = 5\n", "'mean_msec'; did you mean 'mean_ms'?"),
    ("[report]\ntop_statement = 5\n", "unknown [report] option 'top_statement'; did you mean 'top_statements'?"),
    ("[llm]\nmodle = 'x'\n", "unknown [llm] option 'modle'; did you mean 'model'?"),
    ("[plans.disk_sorts]\nsort_memory_factor = 4\n", "no rule named 'disk_sorts' (did you mean 'disk_sort'?)"),
    ("[plans.disk_sort]\nsort_memory_factr = 4\n", "'sort_memory_factr' (did you mean 'sort_memory_factor'?)"),
    ("[chekcs.slow_query]\nmean_ms = 5\n", "unknown section 'chekcs'; did you mean 'checks'?"),
])
def test_config_that_does_not_exist_is_an_error_naming_the_nearest_key(tmp_path, toml, message):
    cfg = tmp_path / "dbxray.toml"
    cfg.write_text(toml)
    result = run("report", "--config", str(cfg), "--dsn", "postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 2
    assert message in _one_line(result) and result.stderr.count("\n") == 1, result.stderr


def test_plan_rule_thresholds_are_read_from_the_config(tmp_path):
    plan = [{"Plan": {"Node Type": "Seq Scan", "Relation Name": "orders", "Schema": "public", "Alias": "orders",
                      "Startup Cost": 0, "Total Cost": 4000, "Plan Rows": 10, "Plan Width": 8,
                      "Actual Startup Time": 0.01, "Actual Total Time": 40.0, "Actual Rows": 10, "Actual Loops": 1,
                      "Filter": "(customer_id = 42)", "Rows Removed by Filter": 200000},
              "Planning Time": 0.1, "Execution Time": 40.1}]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    default = json.loads(run("explain", "--plan-file", str(path), "--format", "json").stdout)
    assert any(f["check"] == "missing_index" for f in default["findings"])
    cfg = tmp_path / "dbxray.toml"
    cfg.write_text("[plans.missing_index]\nmissing_index_min_rows = 1000000\n")
    raised = run("explain", "--plan-file", str(path), "--format", "json", "--config", str(cfg))
    assert raised.returncode == 0, raised.stderr
    assert not any(f["check"] == "missing_index" for f in json.loads(raised.stdout)["findings"])
    cfg.write_text("[plans.missing_index]\nenabled = false\n")
    off = json.loads(run("explain", "--plan-file", str(path), "--format", "json", "--config", str(cfg)).stdout)
    assert not any(f["check"] == "missing_index" for f in off["findings"])


def test_a_crashing_diagnosis_keeps_every_finding_and_says_so(shop):
    pg, name = shop
    inject = """
        import dbxray.diagnose.locking as locking
        def boom(ev):
            raise KeyError("planted advisor bug")
        locking.locking_bottlenecks = boom
    """
    result = run("report", "--format", "json", "--dsn", pg.dsn(name), inject=inject)
    assert result.returncode == 4, result.stderr
    assert "the diagnosis failed (KeyError" in _one_line(result)
    data = json.loads(result.stdout)
    assert any(f["check"] == "setting" and f["object"]["setting"] == "fsync" for f in data["findings"])
    assert data["diagnosis"]["bottlenecks"] == [] and "not ranked" in data["diagnosis"]["summary"]
