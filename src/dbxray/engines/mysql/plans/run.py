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
        before, overhead = _session_counters(session)
        _, rows = session.query(f"{prefix} {text}")
        after, _ = _session_counters(session, twice=False)
    raw = rows[0][0]
    plan = parse_mysql_json(json.loads(raw), info.text) if session.is_mariadb else parse_mysql_tree(raw, info.text)
    plan = resolve_aliases(plan, text, database)
    _add_facts(session, plan, text, before, after, overhead)
    return plan


COUNTERS = ("Created_tmp_tables", "Created_tmp_disk_tables", "Created_tmp_files", "Sort_merge_passes")


def _session_counters(session: Any, twice: bool = True) -> tuple[dict[str, float] | None, dict[str, float]]:
    """This session's temporary-table counters, and (read twice) what reading them costs: SHOW STATUS
    itself may count a temporary table, which must not be charged to the statement."""
    names = ", ".join(f"'{n}'" for n in COUNTERS)

    def read() -> dict[str, float] | None:
        try:
            _, rows = session.query(f"SHOW SESSION STATUS WHERE Variable_name IN ({names})")
        except Exception:
            return None
        return {str(name).lower(): float(value) for name, value in rows}

    first = read()
    if not twice or first is None:
        return first, {}
    second = read()
    if second is None:
        return first, {}
    return second, {k: max(0.0, second[k] - first.get(k, 0.0)) for k in second}


def _add_facts(session: Any, plan: Plan, sql: str, before: dict[str, float] | None,
               after: dict[str, float] | None, overhead: dict[str, float]) -> None:
    """What the temporary-table rule needs beside the plan: the counters around the run, the in-memory
    limits, and the TEXT/BLOB columns of the statement's tables. Best effort: each part may be absent."""
    if before is not None and after is not None:
        plan.facts["status_delta"] = {k: max(0.0, after[k] - before.get(k, 0.0) - overhead.get(k, 0.0))
                                      for k in after}
        plan.facts["status_source"] = "SHOW SESSION STATUS before and after the run"
    try:
        _, rows = session.query("SELECT @@tmp_table_size, @@max_heap_table_size")
        plan.settings.setdefault("tmp_table_size", str(rows[0][0]))
        plan.settings.setdefault("max_heap_table_size", str(rows[0][1]))
    except Exception:
        pass
    try:
        import sqlglot
        from sqlglot import exp

        tables = {(t.db or session.database or "", t.name) for t in sqlglot.parse_one(sql, read="mysql")
                  .find_all(exp.Table) if t.name}
    except Exception:
        return
    blobs: dict[str, list[str]] = {}
    for schema, name in sorted(tables):
        try:
            _, rows = session.query(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
                "AND DATA_TYPE IN ('tinytext', 'text', 'mediumtext', 'longtext', 'tinyblob', 'blob', "
                "'mediumblob', 'longblob', 'json') ORDER BY ORDINAL_POSITION", (schema, name))
        except Exception:
            continue
        if rows:
            blobs[name] = [str(r[0]) for r in rows]
    plan.facts["blob_columns"] = blobs


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


