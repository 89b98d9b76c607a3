"""Plans of normalized statements (``$1`` parameters), as pg_stat_statements stores them.

PostgreSQL 16+ has ``EXPLAIN (GENERIC_PLAN)``; older servers get the same plan from
``PREPARE`` + ``plan_cache_mode = force_generic_plan`` + ``EXECUTE`` with NULL arguments
(the planner never looks at the values of a generic plan). Everything runs inside a
read-only transaction that is rolled back, so nothing is left behind.
"""

from __future__ import annotations

import json
from typing import Any

from dbxray.engines.postgres.guard import inspect_pg
from dbxray.engines.postgres.session import PostgresSession

PREPARED_NAME = "dbxray_generic_plan"


def _plan_of(rows: list[tuple]) -> dict[str, Any]:
    value = rows[0][0]
    data = json.loads(value) if isinstance(value, str) else value
    return data[0] if isinstance(data, list) else data


def generic_plan(session: PostgresSession, sql: str, options: str = "FORMAT JSON",
                 settings: dict[str, str] | None = None) -> dict[str, Any]:
    """The generic plan (costs only, nothing executed) of one statement, as EXPLAIN's JSON root object.

    ``settings`` are planner settings applied with ``SET LOCAL`` for this plan only (the index
    advisor turns ``enable_partition_pruning`` off: ``EXECUTE`` with NULL arguments would
    otherwise prune every partition at executor start and hide the plan below the Append).
    """
    info = inspect_pg(sql)
    with session.rolled_back():
        for name, value in (settings or {}).items():
            session.set_local(name, value)
        if info.parameters == 0:
            _, rows = session.query(f"EXPLAIN ({options}) {info.text}")
            return _plan_of(rows)
        if session.version_num >= 160000:
            _, rows = session.query(f"EXPLAIN ({options}, GENERIC_PLAN) {info.text}")
            return _plan_of(rows)
        session.set_local("plan_cache_mode", "force_generic_plan")
        _deallocate(session)  # a prepared statement outlives the rollback of a failed earlier call
        session.query(f"PREPARE {PREPARED_NAME} AS {info.text}")
        try:
            args = ", ".join(["NULL"] * info.parameters)
            _, rows = session.query(f"EXPLAIN ({options}) EXECUTE {PREPARED_NAME}({args})")
            return _plan_of(rows)
        finally:
            if _transaction_ok(session):  # after an error only the rollback can run; the next call cleans up
                session.query(f"DEALLOCATE {PREPARED_NAME}")


def _deallocate(session: PostgresSession) -> None:
    if session.scalar("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", (PREPARED_NAME,)):
        session.query(f"DEALLOCATE {PREPARED_NAME}")


def _transaction_ok(session: PostgresSession) -> bool:
    from psycopg.pq import TransactionStatus

    return session.conn.info.transaction_status != TransactionStatus.INERROR
