"""``dbxray.plans.statement_findings``: the generic plans of the statements that cost the most, on a
real pg_stat_statements workload, with their findings tagged by query id; statements that cannot
be planned (utility statements, a table dropped since) are skipped without failing the rest."""

from __future__ import annotations

from dbxray.connect import connect
from dbxray.engines.postgres.plans.statements import statement_findings
from dbxray.pipeline import collect_snapshot


def _queryid(conn, like: str) -> str:
    return str(conn.execute("SELECT queryid FROM pg_stat_statements WHERE query LIKE %s AND dbid = "
                            "(SELECT oid FROM pg_database WHERE datname = current_database())", (like,)).fetchone()[0])


def test_statement_findings_on_a_real_workload(pg_db):
    server, db = pg_db
    server.run(db, """CREATE EXTENSION pg_stat_statements;
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total int);
        INSERT INTO orders SELECT i, i % 5000, i FROM generate_series(1, 100000) i;
        CREATE TABLE gone (id int PRIMARY KEY, v int);""")
    server.run(db, "ANALYZE")
    with server.connect(db) as conn:
        for customer in range(20):  # slow: a full scan each time
            conn.execute("SELECT * FROM orders WHERE customer_id = %s", (customer,))
        for key in range(20):  # fast: a primary-key lookup
            conn.execute("SELECT * FROM orders WHERE id = %s", (key,))
        conn.execute("CREATE TABLE copy AS SELECT * FROM orders")  # utility: cannot be planned
        conn.execute("SELECT * FROM gone WHERE v = %s", (1,))
        conn.execute("DROP TABLE gone")  # planned before, unplannable now
        slow = _queryid(conn, "SELECT * FROM orders WHERE customer_id = $1%")
        fast = _queryid(conn, "SELECT * FROM orders WHERE id = $1%")
    snap = collect_snapshot(server.dsn(db), only={"statements"})
    statements = snap["statements"]
    assert {slow, fast} <= set(statements["queryid"].astype(str))
    with connect(server.dsn(db)) as session:
        findings = statement_findings(session, statements, top_n=10)
    assert findings, "the full scan of the slow statement should be found"
    assert all(f.object.get("query_id") for f in findings)
    [missing] = [f for f in findings if f.check == "missing_index"]
    assert missing.object["query_id"] == slow and missing.object["columns"] == ["customer_id"]
    assert missing.object["node_type"] == "Seq Scan" and missing.evidence["calls"] == 20
    assert missing.evidence["proven"] is False
    assert not [f for f in findings if f.object["query_id"] == fast]


def test_statement_findings_with_nothing_to_plan(pg_db):
    server, db = pg_db
    import pandas as pd

    with connect(server.dsn(db)) as session:
        assert statement_findings(session, pd.DataFrame(), top_n=5) == []
        frame = pd.DataFrame([{"queryid": "1", "query": "VACUUM", "calls": 1, "total_exec_ms": 9.0,
                               "total_plan_ms": 0.0},
                              {"queryid": "2", "query": "SELECT * FROM nowhere WHERE x = $1", "calls": 1,
                               "total_exec_ms": 5.0, "total_plan_ms": 0.0}])
        assert statement_findings(session, frame, top_n=5) == []
