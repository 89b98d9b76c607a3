"""Getting a PostgreSQL plan from a live server, safely.

Plain EXPLAIN never executes anything (a statement with $n parameters is planned generically).
``analyze=True`` executes the statement: always in a transaction that is rolled back, read-write
only when the statement writes.
"""

from __future__ import annotations

from typing import Any

from dbxray.errors import BadInput
from dbxray.plans.model import Plan


def pg_options(session: Any, analyze: bool) -> str:
    opts = ["FORMAT JSON", "VERBOSE"]
    if session.version_num >= 120000:
        opts.append("SETTINGS")
    if analyze:
        opts += ["ANALYZE", "BUFFERS"]
        if session.version_num >= 130000:
            opts.append("WAL")
    return ", ".join(opts)


def explain_pg(session: Any, sql: str, analyze: bool = False) -> Plan:
    """EXPLAIN (FORMAT JSON, VERBOSE, SETTINGS [, ANALYZE, BUFFERS, WAL]) of one statement."""
    from dbxray.engines.postgres.guard import inspect_pg
    from dbxray.engines.postgres.plans.generic import _plan_of, generic_plan
    from dbxray.engines.postgres.plans.parse import parse_pg_json

    info = inspect_pg(sql)
    if not analyze:
        return parse_pg_json(generic_plan(session, info.text, options=pg_options(session, False)), info.text)
    if info.parameters:
        raise BadInput(f"the statement has ${info.parameters} parameters: --analyze needs real values "
                       "(without --analyze it is planned generically)")
    with session.rolled_back(read_write=info.writes):
        _, rows = session.query(f"EXPLAIN ({pg_options(session, True)}) {info.text}")
    return parse_pg_json(_plan_of(rows), info.text)


def statement_of_query_id(session: Any, query_id: str) -> str:
    """The normalized text of a pg_stat_statements entry of the current database."""
    try:
        qid = int(query_id)
    except ValueError:
        raise BadInput(f"--query-id must be a number (pg_stat_statements queryid), not {query_id!r}") from None
    installed = session.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")
    if not installed:
        raise BadInput("pg_stat_statements is not installed in this database: CREATE EXTENSION pg_stat_statements "
                       "(and preload it with shared_preload_libraries)")
    text = session.scalar(
        "SELECT query FROM pg_stat_statements WHERE queryid = %s "
        "AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1", (qid,))
    if text is None:
        raise BadInput(f"no statement with queryid {qid} in pg_stat_statements for this database")
    return str(text)
