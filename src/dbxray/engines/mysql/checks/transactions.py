"""Transactions left open by the application: ``idle_in_transaction`` for MySQL/MariaDB.

The rule (thresholds, severities, the finding's shape) is the one both engines share
(``dbxray.checks.idle_transaction``); this module reads what InnoDB says a transaction holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import human_seconds
from dbxray.checks.idle_transaction import THRESHOLDS, IdleTransaction, judge
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import parse_lock_table, records
from dbxray.findings import Finding

_TRX_BOUNDARY = re.compile(r"^\s*(?:/\*.*?\*/\s*)*(COMMIT|ROLLBACK|BEGIN|START\s+TRANSACTION|SET\s+autocommit)\b",
                           re.IGNORECASE | re.DOTALL)


def _statement_tables(text: str, default_schema: str | None) -> list[str]:
    """Tables a locking statement names (DML, SELECT ... FOR UPDATE / LOCK IN SHARE MODE), sqlglot."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(text, read="mysql")
    except Exception:
        return []
    if tree is None:
        return []
    locking = isinstance(tree, exp.Insert | exp.Update | exp.Delete) or (
        isinstance(tree, exp.Select) and bool(tree.args.get("locks")))
    if not locking:
        return []
    out = []
    for t in tree.find_all(exp.Table):
        schema = t.db or default_schema
        if t.name and schema:
            name = f"{schema}.{t.name}"
            if name not in out:
                out.append(name)
    return out


def _tables_from_history(snap: Any) -> dict[int, list[str]]:
    """Per session: the tables its locking statements since the transaction began named."""
    by_pid: dict[int, list[dict[str, Any]]] = {}
    seen: set[tuple[int, int]] = set()
    for r in records(snap["trx_statements"]):
        if r.get("pid") is None or r.get("event_id") is None:
            continue
        key = (int(r["pid"]), int(r["event_id"]))
        if key not in seen:
            seen.add(key)
            by_pid.setdefault(key[0], []).append(r)
    out: dict[int, list[str]] = {}
    for pid, rows in by_pid.items():
        rows.sort(key=lambda r: int(r["event_id"]))
        start = 0
        for i, r in enumerate(rows):
            if _TRX_BOUNDARY.match(str(r.get("sql_text") or "")):
                start = i + 1
        tables: list[str] = []
        for r in rows[start:]:
            for name in _statement_tables(str(r.get("sql_text") or ""), r.get("current_schema")):
                if name not in tables:
                    tables.append(name)
        if tables:
            out[pid] = tables
    return out


def _sources(snap: Any) -> tuple[dict[int, list[str]], dict[int, list[int]], str]:
    """(tables locked per pid, waiting pids per blocking pid, where the tables came from)."""
    tables: dict[int, list[str]] = {}
    source = []
    for r in records(snap["trx_locks"]):
        if r.get("pid") is None or not r.get("table"):
            continue
        name = f"{r['schema']}.{r['table']}"
        tables.setdefault(int(r["pid"]), [])
        if name not in tables[int(r["pid"])]:
            tables[int(r["pid"])].append(name)
    if tables:
        source.append("performance_schema.data_locks")
    waiters: dict[int, list[int]] = {}
    for w in records(snap["lock_waits"]):
        if w.get("blocking_pid") is None or w.get("waiting_pid") is None:
            continue
        blocker = int(w["blocking_pid"])
        if int(w["waiting_pid"]) not in waiters.setdefault(blocker, []):
            waiters[blocker].append(int(w["waiting_pid"]))
        schema, table = parse_lock_table(w.get("lock_table"))
        if table:
            name = f"{schema}.{table}" if schema else table
            if name not in tables.setdefault(blocker, []):
                tables[blocker].append(name)
                if "lock waits" not in source:
                    source.append("lock waits")
    history = _tables_from_history(snap)
    for pid, names in history.items():
        if pid not in tables:
            tables[pid] = names
            if "statement history" not in source:
                source.append("statement history")
    return tables, waiters, ", ".join(source)


@check("idle_in_transaction", "activity", engines=ENGINES, **THRESHOLDS)
def idle_in_transaction(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Sessions idle (Sleep) inside an open InnoDB transaction; sooner when they hold locks.

    Why: in OLTP a transaction idle for 90 s while it holds row locks is an application bug:
    every session that needs those rows waits (up to innodb_lock_wait_timeout, then fails), and
    the open read view stops purge for the whole server (the history list grows). So a session
    idle in a transaction that holds row or table locks (INNODB_TRX ``trx_rows_locked`` /
    ``trx_tables_locked``) or that others wait on is reported from ``locks_warn_s`` (60 s); one
    that holds nothing from ``warn_s`` (5 min); critical from ``critical_s`` or when anyone waits.
    The evidence names the tables it locks (MySQL 8: performance_schema.data_locks; MariaDB: the
    lock waits, or the statement history when its consumers are on) and the waiting sessions.
    A transaction open ``warn_s`` that keeps running short statements is reported too (a long
    batch). Source: information_schema.INNODB_TRX joined to the processlist (needs PROCESS).
    Fix: KILL the session (its transaction rolls back), then make the application commit promptly;
    MariaDB closes such sessions itself with idle_transaction_timeout (idle_write_transaction_timeout
    for those that wrote).
    """
    tables, waiters, table_source = _sources(snap)
    mariadb = snap.meta.get("flavor") == "mariadb"
    for r in records(snap["transactions"]):
        pid = r.get("pid")
        if pid is None:
            continue
        pid = int(pid)
        trx_age = float(r.get("trx_seconds") or 0)
        command = str(r.get("command") or "")
        extra = {"command": command, "trx_state": r.get("state"), "rows_locked": r.get("rows_locked"),
                 "tables_locked": r.get("tables_locked"), "rows_modified": r.get("rows_modified"),
                 "isolation": r.get("isolation_level"), "client": r.get("client"),
                 "tables_from": table_source if tables.get(pid) else
                 ("not known: MariaDB lists held locks only when someone waits on them; turn on the "
                  "performance_schema consumers events_statements_current and _history to see the "
                  "transaction's statements" if mariadb else None)}
        kill = f"KILL {pid};  -- ends the session; its transaction is rolled back"
        if command != "Sleep":
            # a transaction open warn_s that keeps running short statements: a long batch
            if trx_age < t["warn_s"] or float(r.get("command_seconds") or 0) >= t["warn_s"]:
                continue  # a single long statement: long_running_query reports it
            yield Finding(
                check="idle_in_transaction", severity="critical" if trx_age >= t["critical_s"] else "warning",
                title=f"Transaction open for {human_seconds(trx_age)} (id {pid}, {r.get('user')})",
                object={"pid": pid, "role": r.get("user"), "database": r.get("db")},
                evidence={"xact_age_s": trx_age, **extra,
                          "current_query": str(r.get("query") or "")[:300] or None,
                          "source": "information_schema.INNODB_TRX"},
                recommendation=("A long batch in one transaction holds its locks and stops InnoDB purge for the "
                                "whole server: commit in smaller batches."),
                sql=kill)
            continue
        s = IdleTransaction(
            pid=pid, user=r.get("user"), database=r.get("db"), idle_s=float(r.get("command_seconds") or 0),
            xact_age_s=trx_age,
            row_locks=float(r.get("rows_locked") or 0) > 0 or float(r.get("tables_locked") or 0) > 0,
            locked_tables=tables.get(pid, []), waiting_pids=sorted(waiters.get(pid, [])), extra=extra)
        timeout = ("SET GLOBAL idle_transaction_timeout = 300;  -- MariaDB: ends sessions idle in a transaction "
                   "for 5 min (also in the config file)") if mariadb else None
        finding = judge(s, t, "id", kill, timeout, "information_schema.INNODB_TRX")
        if finding is not None:
            yield finding


__all__ = ["idle_in_transaction"]
