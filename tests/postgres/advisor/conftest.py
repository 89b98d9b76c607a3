"""Fixtures for the index advisor tests: a fresh database per test (pg_stat_statements always,
HypoPG when the test wants the proof), a workload run through psycopg with real parameters so
pg_stat_statements records normalized ``$n`` statements, and the measurements the tests assert on
(EXPLAIN ANALYZE execution time and plan node types, never wall-clock time)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psycopg
import pytest

from dbxray.collect import run_collectors
from dbxray.connect import connect
from dbxray.engines.postgres.advisor.advise import Advice, advise


@dataclass
class Db:
    server: object
    name: str

    @property
    def dsn(self) -> str:
        return self.server.dsn(self.name)

    def run(self, sql: str) -> None:
        self.server.run(self.name, sql)

    def workload(self, sql: str, params: Iterable[Sequence]) -> None:
        """Run ``sql`` once per parameter tuple, server-side bound: pg_stat_statements sees ``$1``."""
        with self.server.connect(self.name) as conn:
            for p in params:
                cur = conn.execute(sql, p)
                if cur.description is not None:
                    cur.fetchall()

    def advise(self, queries: Sequence[str] = (), config: dict | None = None) -> Advice:
        with connect(self.dsn) as session:
            snap = run_collectors(session, only={"statements"})
            return advise(session, snap, queries, config=config)

    def explain(self, sql: str) -> dict:
        with self.server.connect(self.name) as conn:
            return conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}").fetchone()[0][0]

    def exec_ms(self, sql: str, runs: int = 3) -> float:
        """Best EXPLAIN ANALYZE execution time of ``runs`` runs (the first warms the cache)."""
        return min(float(self.explain(sql)["Execution Time"]) for _ in range(runs))

    def node_types(self, sql: str) -> set[str]:
        stack, out = [self.explain(sql)["Plan"]], set()
        while stack:
            node = stack.pop()
            out.add(node["Node Type"])
            stack.extend(node.get("Plans", ()))
        return out

    def index_defs(self) -> list[str]:
        with self.server.connect(self.name) as conn:
            return [r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname NOT IN "
                                               "('pg_catalog', 'information_schema') ORDER BY 1").fetchall()]

    def apply(self, sql: str) -> None:
        """Run the advisor's fix exactly as given (CONCURRENTLY needs autocommit, which this is)."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql)


def on_table(advice: Advice, table: str) -> list:
    return [f for f in advice.findings if f.object.get("table") == table]


def plan_text(plan: dict) -> str:
    return json.dumps(plan)


@pytest.fixture
def hypo_db(pg_db) -> Db:
    """A fresh database with pg_stat_statements and HypoPG created (as the admin would)."""
    server, name = pg_db
    server.run(name, "CREATE EXTENSION pg_stat_statements; CREATE EXTENSION hypopg;")
    return Db(server, name)


@pytest.fixture
def plain_db(pg_db) -> Db:
    """A fresh database with pg_stat_statements but without HypoPG (the unproven path)."""
    server, name = pg_db
    server.run(name, "CREATE EXTENSION pg_stat_statements;")
    return Db(server, name)
