"""What changed between scheduled runs, on a real server through the CLI and a real history store:
a statement that regressed after its index was dropped, a new heavy statement, a key that will run
out at the measured rate, and statistics reset between runs (never a negative rate)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.diagnosis.helpers import reset_statements, run, workload

DBXRAY = str(Path(sys.executable).with_name("dbxray"))


def report(store: str, dsn: str, config: Path) -> dict:
    result = subprocess.run([DBXRAY, "report", "--format", "json", "--history", store, "--config", str(config),
                             "--dsn", dsn], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 4), result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def shop(pg, tmp_path):
    yield from _shop(pg, tmp_path)


@pytest.fixture
def shop_alone(tmp_path):
    """The shop on a server of its own: the test resets pg_stat_statements whole, which would take the
    statements of every other test's database on the shared server with it."""
    from tests.servers import start_postgres, stop

    server, owned = start_postgres(("pg_stat_statements",))
    try:
        yield from _shop(server, tmp_path)
    finally:
        stop(owned)


def _shop(pg, tmp_path):
    name = pg.new_database("trend")
    pg.run(name, """
        CREATE EXTENSION pg_stat_statements;
        CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL, total int NOT NULL);
        INSERT INTO orders (customer_id, total) SELECT g % 5000, g FROM generate_series(1, 150000) g;
        CREATE INDEX orders_customer_idx ON orders (customer_id);
        ANALYZE;
    """)
    reset_statements(pg, name)
    config = tmp_path / "dbxray.toml"
    config.write_text("[checks.growth]\nmin_days = 0\n[checks.regression]\nmin_calls = 20\n")
    yield pg, name, f"sqlite:///{tmp_path / 'history.db'}", config
    pg.drop_database(name)


LOOKUP = "SELECT id, total FROM orders WHERE customer_id = %s"


def test_a_statement_that_regressed_after_its_index_was_dropped(shop):
    pg, name, store, config = shop
    workload(pg, name, LOOKUP, [(i,) for i in range(60)])
    report(store, pg.dsn(name), config)                      # run 1
    workload(pg, name, LOOKUP, [(i,) for i in range(60, 120)])
    second = report(store, pg.dsn(name), config)             # run 2: the healthy interval
    assert not [f for f in second["findings"] if f["check"] == "regression"]
    run(pg, name, "DROP INDEX orders_customer_idx")
    workload(pg, name, LOOKUP, [(i,) for i in range(120, 180)])
    third = report(store, pg.dsn(name), config)              # run 3: the interval after the drop
    [reg] = [f for f in third["findings"] if f["check"] == "regression"]
    e = reg["evidence"]
    assert e["kind"] == "slower per call" and e["ratio"] >= 2 and e["mean_ms_after"] > e["mean_ms_before"]
    assert e["calls_before"] == 60 and e["calls_after"] == 60  # the previous interval, not everything since reset
    assert "→" in e["before"] and "customer_id" in e["query"]
    assert any(reg["id"] in b["finding_ids"] for b in third["diagnosis"]["bottlenecks"])
    # the history block the HTML report charts: every run of this target, and the regression
    runs = third["history"]["runs"]
    assert len(runs) == 3 and all(r["findings"] is not None for r in runs)
    assert runs[1]["total_ms"] > 0 and runs[1]["calls_per_s"] > 0 and runs[2]["total_ms"] > runs[1]["total_ms"]
    assert [r["query_id"] for r in third["history"]["regressions"]] == [reg["object"]["query_id"]]
    html = subprocess.run([DBXRAY, "report", "--format", "html", "--history", store, "--config", str(config),
                           "--dsn", pg.dsn(name)], capture_output=True, text=True, timeout=300)
    assert html.returncode in (0, 4) and '<section id="trends"' in html.stdout and "4 runs" in html.stdout


def test_a_new_heavy_statement_is_named(shop):
    pg, name, store, config = shop
    workload(pg, name, LOOKUP, [(i,) for i in range(40)])
    report(store, pg.dsn(name), config)
    workload(pg, name, LOOKUP, [(i,) for i in range(40)])
    workload(pg, name, "SELECT count(*), sum(total) FROM orders WHERE total > %s", [(i,) for i in range(30)])
    data = report(store, pg.dsn(name), config)
    new = [f for f in data["findings"] if f["check"] == "regression" and f["evidence"]["kind"] == "new heavy statement"]
    assert len(new) == 1 and "sum(total)" in new[0]["evidence"]["query"]


def test_a_key_that_will_run_out_at_the_measured_rate(shop):
    pg, name, store, config = shop
    run(pg, name, "SELECT setval('orders_id_seq', 1500000000)")
    report(store, pg.dsn(name), config)
    time.sleep(2)
    run(pg, name, "SELECT setval('orders_id_seq', 1500200000)")  # 200,000 values drawn in two seconds
    data = report(store, pg.dsn(name), config)
    [g] = [f for f in data["findings"] if f["check"] == "growth" and f["object"].get("sequence") == "orders_id_seq"]
    assert g["severity"] == "critical" and g["evidence"]["days_left"] < 1
    assert g["evidence"]["values_left"] == 2147483647 - 1500200000
    assert "bigint" in g["sql"].lower()
    first = data["diagnosis"]["bottlenecks"][0]
    assert first["kind"] == "outage_risk" and g["id"] in first["finding_ids"]


def test_statistics_reset_between_runs_gives_no_negative_rates(shop_alone):
    pg, name, store, config = shop_alone
    workload(pg, name, LOOKUP, [(i,) for i in range(80)])
    report(store, pg.dsn(name), config)
    with pg.connect(name) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
    workload(pg, name, LOOKUP, [(i,) for i in range(10)])
    data = report(store, pg.dsn(name), config)
    assert "reset" in data["summary"]["interval"]
    for row in data["summary"]["statements"]:
        assert row["calls"] >= 0 and (row["total_ms"] or 0) >= 0
    assert not [f for f in data["findings"] if f["check"] in ("regression", "growth")
                and any(isinstance(v, (int, float)) and v < 0 for v in f["evidence"].values())]
