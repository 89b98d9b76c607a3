"""`dbxray explain` hands its index suggestion to the index advisor: proven with HypoPG when it is there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DBXRAY = str(Path(sys.executable).with_name("dbxray"))
SQL = "SELECT id, total FROM invoices WHERE account_id = 42 ORDER BY created_at DESC LIMIT 10"


def _explain(dsn: str) -> dict:
    result = subprocess.run([DBXRAY, "explain", "--analyze", "--format", "json", "--dsn", dsn, SQL],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _setup(pg, name: str, hypopg: bool) -> None:
    pg.run(name, """
        CREATE TABLE invoices (id int PRIMARY KEY, account_id int, total int, created_at timestamptz);
        INSERT INTO invoices SELECT g, g % 5000, g % 700, now() - g * interval '1 minute'
          FROM generate_series(1, 100000) g;
        ANALYZE invoices;
    """ + ("CREATE EXTENSION hypopg;" if hypopg else ""))


def test_plan_suggestion_is_proven_by_the_advisor_and_keeps_its_node(pg_db):
    pg, name = pg_db
    _setup(pg, name, hypopg=True)
    data = _explain(pg.dsn(name))
    (f,) = [f for f in data["findings"] if f["check"] == "missing_index"]
    assert f["evidence"]["proven"] is True and f["evidence"]["cost_cut_pct"] >= 90
    assert f["object"]["table"] == "invoices" and f["object"]["columns"][0] == "account_id"
    assert "Seq Scan" in f["object"]["node_type"] and f["object"]["node_id"] >= 1
    assert f["evidence"]["plan_evidence"]["removed_pct"] > 99
    with pg.connect(name) as conn:
        conn.execute(f["sql"])
    after = _explain(pg.dsn(name))
    assert not [f for f in after["findings"] if f["check"] == "missing_index"]
    assert after["plan"]["execution_ms"] < data["plan"]["execution_ms"]


def test_without_hypopg_the_suggestion_says_it_is_unproven(pg_db):
    pg, name = pg_db
    _setup(pg, name, hypopg=False)
    data = _explain(pg.dsn(name))
    hits = [f for f in data["findings"] if f["check"] == "missing_index"]
    assert hits and all(f["evidence"]["proven"] is False for f in hits)
