"""Getting a MySQL / MariaDB plan from a live server, safely.

``analyze=True`` executes the statement: always in a transaction that is rolled back, read-write
only when the statement writes, and only when every table it writes to is transactional (a
rollback does not undo a write to MyISAM or Aria).
"""

from __future__ import annotations

import json
from typing import Any

from dbxray.errors import BadInput, UnsafeStatement
from dbxray.plans.model import Plan


def explain_mysql(session: Any, sql: str, analyze: bool = False) -> Plan:
    """MariaDB: EXPLAIN/ANALYZE FORMAT=JSON; MySQL 8: EXPLAIN FORMAT=JSON / EXPLAIN ANALYZE (tree)."""
    from dbxray.engines.mysql.guard import inspect_mysql
    from dbxray.engines.mysql.plans.parse import parse_mysql_json, parse_mysql_tree, resolve_aliases

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


