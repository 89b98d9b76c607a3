"""Fixtures for the plan tests: one shop-like database built once per module, and a helper that
plans (or runs) a statement through dbxray's own connection layer and returns the findings."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dbxray.connect import connect
from dbxray.engines.postgres.plans.catalog import PgCatalog
from dbxray.plans.report import analyse
from dbxray.plans.run import explain


@dataclass
class Explained:
    plan: object
    findings: list

    def by_check(self, check: str) -> list:
        return [f for f in self.findings if f.check == check]

    def checks(self) -> set[str]:
        return {f.check for f in self.findings}


def explain_on(server, db: str, sql: str, analyze: bool = True, settings: tuple[str, ...] = ()) -> Explained:
    """Plan ``sql`` with dbxray on a real server (``settings`` are SET statements for the session)."""
    with connect(server.dsn(db)) as session:
        for stmt in settings:
            session.query(stmt)
        plan = explain(session, sql, analyze=analyze)
        findings = analyse(plan, catalog=PgCatalog(session))
    return Explained(plan, findings)


SHOP = """
CREATE TABLE customers (id int PRIMARY KEY, name text, city text, zip text);
INSERT INTO customers SELECT i, 'c' || i, 'city' || (i % 100), 'zip' || (i % 100) FROM generate_series(1, 20000) i;
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, status text, total int, note text);
INSERT INTO orders SELECT i, i % 20000, CASE WHEN i % 10 = 0 THEN 'paid' ELSE 'new' END, i, repeat('n', 20)
FROM generate_series(1, 200000) i;
CREATE TABLE events (id int, kind int, payload text) WITH (autovacuum_enabled = off);
INSERT INTO events SELECT i, i % 100, repeat('x', 50) FROM generate_series(1, 300000) i;
CREATE INDEX events_kind ON events (kind);
CREATE TABLE small (id int PRIMARY KEY, kind int);
INSERT INTO small SELECT i, i % 10 FROM generate_series(1, 200) i;
"""


@pytest.fixture(scope="module")
def shop(pg):
    """(server, database) with customers/orders/events/small loaded and analysed (in a later session,
    so PostgreSQL's table statistics are flushed before ANALYZE). The tables autovacuum may visit are
    vacuumed here (with a synchronous commit, so their pages can be marked all-visible): an autovacuum
    between two runs of a plan would otherwise change its Heap Fetches under the test."""
    db = pg.new_database("plans")
    pg.run(db, SHOP)
    with pg.connect(db) as conn:
        conn.execute("SET synchronous_commit = on")
        conn.execute("VACUUM (ANALYZE) customers, orders, small")
        conn.execute("ANALYZE events")
    yield pg, db
    pg.drop_database(db)
