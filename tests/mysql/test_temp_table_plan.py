"""The ``temp_table`` plan rule: a GROUP BY that the server answers through an implicit temporary table
and that takes most of the run.

Before this rule, ``dbxray explain --analyze`` printed "No findings" for such a plan: the time sits in the
``r_other_time_ms`` of the table below MariaDB's ``temporary_table`` node, where no rule looked.
Offline: a real MariaDB 10.11 ANALYZE FORMAT=JSON (3.6 s, 95 % of it filling the temporary table, on disk
with tmp_table_size = 1 MiB). Live: the same shape on a real MariaDB through ``dbxray explain --analyze``
(session counters around the run, TEXT/BLOB columns), then the suggested index is created and the same
statement is grouped in index order (near miss), and a fast GROUP BY is left alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbxray.connect import Limits, connect
from dbxray.plans.load import parse_plan_json
from dbxray.plans.report import analyse
from dbxray.plans.run import explain

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mariadb" / "analyze_group_by_temporary_table_disk.json"
STATEMENT = ("SELECT customer_id, COUNT(*), SUM(amount) FROM orders GROUP BY customer_id "
             "ORDER BY SUM(amount) DESC LIMIT 10")


def test_recorded_mariadb_plan_names_the_temporary_table_and_the_index():
    plan = parse_plan_json(json.loads(FIXTURE.read_text()), STATEMENT)
    findings = analyse(plan)
    (f,) = [f for f in findings if f.check == "temp_table"]
    assert f.object["node_type"] == "Temporary Table" and f.object["table"] == "orders"
    assert f.object["columns"] == ["customer_id", "amount"]
    assert f.evidence["temporary_table_for"] == "GROUP BY customer_id"  # ORDER BY SUM(): no column to name
    assert f.evidence["share_pct"] > 90 and f.evidence["temp_table_ms"] > 3000
    assert f.evidence["rows_into_it"] == 300000 and f.evidence["went_to_disk"] is None  # no counters offline
    assert f.sql == "ALTER TABLE `orders` ADD INDEX `ix_orders_customer_id_amount` (`customer_id`, `amount`);"
    assert "no temporary table" in f.recommendation


def test_recorded_plan_below_thresholds_is_a_near_miss():
    from dbxray.plans.rules.common import Thresholds

    plan = parse_plan_json(json.loads(FIXTURE.read_text()), STATEMENT)
    assert not [f for f in analyse(plan, thresholds=Thresholds(temp_table_min_ms=10000.0)) if f.check == "temp_table"]
    plan = parse_plan_json(json.loads(FIXTURE.read_text()), STATEMENT)
    assert not [f for f in analyse(plan, thresholds=Thresholds(temp_table_share=0.99)) if f.check == "temp_table"]


@pytest.fixture
def orders(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL, status VARCHAR(20),
                             note TEXT, amount DECIMAL(10,2));
        INSERT INTO orders (customer_id, status, note, amount)
            SELECT seq % 50000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'done'), CONCAT('n', seq), seq % 1000
            FROM seq_1_to_300000;
        CREATE TABLE tiny (id INT PRIMARY KEY, k INT);
        INSERT INTO tiny SELECT seq, seq % 3 FROM seq_1_to_50;
    """)
    return my, db


def _explain(my, db, sql: str):
    """``dbxray explain --analyze`` as the command runs it; 10 ms instead of 500 ms so that the test does
    not depend on this machine's speed (300,000 rows group in 50-1,000 ms depending on the load); the
    share threshold, 30 %, is the default, and the near miss (50 rows) takes well under 1 ms."""
    from dbxray.plans.rules.common import Thresholds

    with connect(my.dsn(db), Limits(statement_timeout=60)) as session:
        plan = explain(session, sql, analyze=True)
    return plan, [f for f in analyse(plan, thresholds=Thresholds(temp_table_min_ms=10.0)) if f.check == "temp_table"]


def test_live_group_by_through_a_temporary_table_then_the_index_removes_it(orders):
    my, db = orders
    sql = "SELECT customer_id, COUNT(*), SUM(amount) FROM orders GROUP BY customer_id"
    plan, found = _explain(my, db, sql)
    assert len(found) == 1, [n.node_type for n in plan.nodes()]
    f = found[0]
    assert f.evidence["went_to_disk"] is False and f.evidence["created_tmp_tables"] >= 1
    assert f.evidence["tmp_table_size"] and f.evidence["max_heap_table_size"]
    assert f.sql == f"ALTER TABLE `{db}`.`orders` ADD INDEX `ix_orders_customer_id_amount` (`customer_id`, `amount`);"

    # a TEXT column in the temporary table sends it to disk on MariaDB: counted around the run
    _, (d,) = _explain(my, db, "SELECT customer_id, MAX(note) FROM orders GROUP BY customer_id")
    assert d.evidence["went_to_disk"] is True and d.evidence["created_tmp_disk_tables"] >= 1
    assert d.evidence["blob_columns"] == ["orders.note"] and "TEXT/BLOB" in d.recommendation

    # near misses: a fast GROUP BY, and the same statement once the suggested index exists
    assert not _explain(my, db, "SELECT k, COUNT(*) FROM tiny GROUP BY k")[1]
    my.run(db, f.sql)
    plan, after = _explain(my, db, sql)
    assert not after and not any(n.node_type == "Temporary Table" for n in plan.nodes())
