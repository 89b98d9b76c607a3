"""Getting a plan from a live server, safely, for each engine's own EXPLAIN.

Plain EXPLAIN never executes anything. ``analyze=True`` executes the statement: always in a
transaction that is rolled back, read-write only when the statement writes, and for
MySQL/MariaDB only when every table it writes to is transactional (a rollback does not undo
a write to MyISAM or Aria).
"""

from __future__ import annotations

import json
from typing import Any

from dbxray.errors import BadInput, UnsafeStatement
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
    from dbxray.plans.generic import _plan_of, generic_plan
    from dbxray.plans.parse_pg import parse_pg_json
    from dbxray.sqlguard import inspect_pg

    info = inspect_pg(sql)
    if not analyze:
        return parse_pg_json(generic_plan(session, info.text, options=pg_options(session, False)), info.text)
    if info.parameters:
        raise BadInput(f"the statement has ${info.parameters} parameters: --analyze needs real values "
                       "(without --analyze it is planned generically)")
    with session.rolled_back(read_write=info.writes):
        _, rows = session.query(f"EXPLAIN ({pg_options(session, True)}) {info.text}")
    return parse_pg_json(_plan_of(rows), info.text)


def explain_mysql(session: Any, sql: str, analyze: bool = False) -> Plan:
    """MariaDB: EXPLAIN/ANALYZE FORMAT=JSON; MySQL 8: EXPLAIN FORMAT=JSON / EXPLAIN ANALYZE (tree)."""
    from dbxray.plans.parse_mysql import parse_mysql_json, parse_mysql_tree, resolve_aliases
    from dbxray.sqlguard import inspect_mysql

    info = inspect_mysql(sql)
    if info.parameters:
        raise BadInput("the statement has ? placeholders: give it with real values to explain it on MySQL/MariaDB")
    # dbxray's MySQL sessions have no default schema (see connect.MySQLSession): qualify the tables
    text = session.qualify(info.text) if hasattr(session, "qualify") else info.text
    database = session.database or None
    if not analyze:
        with session.rolled_back():
            _, rows = session.query(f"EXPLAIN FORMAT=JSON {text}")
        return resolve_aliases(parse_mysql_json(json.loads(rows[0][0]), info.text), text, database)
    if info.writes:
        _refuse_non_transactional(session, text)
    prefix = "ANALYZE FORMAT=JSON" if session.is_mariadb else "EXPLAIN ANALYZE"
    with session.rolled_back(read_write=info.writes):
        _, rows = session.query(f"{prefix} {text}")
    raw = rows[0][0]
    plan = parse_mysql_json(json.loads(raw), info.text) if session.is_mariadb else parse_mysql_tree(raw, info.text)
    return resolve_aliases(plan, text, database)


def _refuse_non_transactional(session: Any, sql: str) -> None:
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="mysql")
    tables = {(t.db or None, t.name) for t in tree.find_all(exp.Table) if t.name}
    for db, name in sorted(tables, key=str):
        engine = session.scalar(
            "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(%s, @dbxray_db, DATABASE()) "
            "AND TABLE_NAME = %s", (db, name))
        if engine is not None and str(engine).lower() not in ("innodb", "rocksdb"):
            raise UnsafeStatement(f"table {name} uses {engine}, which a rollback cannot undo: "
                                  "--analyze of a data-changing statement is refused on it")


def explain(session: Any, sql: str, analyze: bool = False) -> Plan:
    """The plan of one statement on a live server; a server-side refusal is one clear BadInput line."""
    from dbxray.errors import DbxrayError

    try:
        if session.engine == "postgres":
            return explain_pg(session, sql, analyze)
        return explain_mysql(session, sql, analyze)
    except DbxrayError:
        raise
    except Exception as exc:
        raise BadInput(_server_message(session, exc)) from None


def _server_message(session: Any, exc: Exception) -> str:
    from dbxray.connect import redact

    name = type(exc).__name__
    text = " ".join(str(exc).split()) or name
    first = text.split(" LINE ")[0]
    timeout = getattr(session.limits, "statement_timeout", None)
    if name in ("QueryCanceled",) or "max_statement_time" in text or "maximum statement execution time" in text:
        return f"the statement was cancelled after {timeout:g} s (raise --statement-timeout to give it longer)"
    return f"the server could not explain the statement: {redact(first)}"


def statement_of_query_id(session: Any, query_id: str) -> str:
    """The normalized text of a pg_stat_statements entry of the current database."""
    if session.engine != "postgres":
        raise BadInput("--query-id reads pg_stat_statements: it works on PostgreSQL only")
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
