"""Activity checks for MySQL/MariaDB: long statements, open transactions, lock waits, connection limits.

The processlist shows other accounts' sessions only with PROCESS; INNODB_TRX and the lock
views need it too. Without it these checks see only dbxray's own account (a note says so).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import human_seconds, short_query
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import parse_lock_table, records, setting_num, status, user_sessions
from dbxray.findings import Finding

MDL_WAIT = "waiting for table metadata lock"


def _seconds(r: dict[str, Any]) -> float:
    value = r.get("seconds_precise")
    if value is None:
        value = r.get("seconds")
    return float(value or 0)


def _timeout_hint(snap: Any) -> str:
    if snap.meta.get("flavor") == "mariadb":
        return "set max_statement_time (seconds) for the application's account or session"
    return "set max_execution_time (ms, SELECT only) or use the MAX_EXECUTION_TIME() optimizer hint"


@check("long_running_query", "activity", engines=ENGINES, warn_s=60.0, critical_s=1800.0)
def long_running_query(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements running for ``warn_s`` seconds or more (PgHero's 60 s), from the processlist.

    Why: a long statement keeps its InnoDB read view open (purge cannot remove old row
    versions: the history list grows and every read slows), holds its locks and metadata
    locks (a later ALTER queues behind it, and everything queues behind the ALTER).
    Fix: kill the statement if it should not run that long, then find out why it is slow;
    a statement time limit stops the next one.
    """
    for r in user_sessions(snap):
        if str(r.get("command") or "") not in ("Query", "Execute"):
            continue
        age = _seconds(r)
        if age < t["warn_s"] or not r.get("query"):
            continue
        pid = int(r["pid"])
        yield Finding(
            check="long_running_query",
            severity="critical" if age >= t["critical_s"] else "warning",
            title=f"Query running for {human_seconds(age)} (id {pid}, {r.get('user')})",
            object={"pid": pid, "role": r.get("user"), "database": r.get("db")},
            evidence={"query_age_s": round(age, 1), "state": r.get("state"), "client": r.get("client"),
                      "rows_examined_so_far": r.get("examined_rows"), "source": "processlist",
                      "query": short_query(r.get("query"), 400)},
            recommendation=(f"If it should not run this long, kill the statement (KILL QUERY keeps the connection), "
                            f"then {_timeout_hint(snap)}, and explain it."),
            sql=f"KILL QUERY {pid};",
        )


def _roots(blocked: dict[int, set[int]]) -> dict[int, set[int]]:
    """{root blocker: every session waiting behind it, directly or through a chain}."""
    def roots_of(pid: int, seen: frozenset) -> set[int]:
        parents = blocked.get(pid)
        if not parents:
            return {pid}
        out: set[int] = set()
        for p in parents:
            out |= {p} if p in seen else roots_of(p, seen | {pid})
        return out

    tree: dict[int, set[int]] = {}
    for pid in blocked:
        for root in roots_of(pid, frozenset()):
            if root != pid:
                tree.setdefault(root, set()).add(pid)
    return tree


@check("lock_contention", "activity", engines=ENGINES, min_wait_s=5.0, critical_wait_s=300.0, critical_blocked=3)
def lock_contention(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Who blocks whom: InnoDB row/table lock waits, and sessions queued on metadata locks.

    Why: a waiting session does nothing until innodb_lock_wait_timeout (50 s) fails it, and
    a queue forms behind the root blocker, often a session idle in its transaction. One
    finding per root blocker (a blocker that does not itself wait), listing what waits
    behind it. Sources: INNODB_LOCK_WAITS + INNODB_LOCKS (MariaDB, MySQL 5.7) or
    performance_schema.data_lock_waits + data_locks (MySQL 8); metadata-lock waits from
    the processlist state. Critical at ``critical_blocked`` waiters or ``critical_wait_s``.
    Fix: end the root blocker's transaction (commit, roll back, or KILL it).
    """
    waits = list(records(snap["lock_waits"]))
    blocked: dict[int, set[int]] = {}
    by_waiter: dict[int, dict[str, Any]] = {}
    blockers: dict[int, dict[str, Any]] = {}
    for w in waits:
        if w.get("waiting_pid") is None or w.get("blocking_pid") is None:
            continue
        waiter, blocker = int(w["waiting_pid"]), int(w["blocking_pid"])
        blocked.setdefault(waiter, set()).add(blocker)
        by_waiter.setdefault(waiter, w)
        blockers.setdefault(blocker, w)
    sessions = {int(r["pid"]): r for r in user_sessions(snap)}
    for root, victims in sorted(_roots(blocked).items()):
        details, longest, tables = [], 0.0, set()
        for pid in sorted(victims):
            w = by_waiter.get(pid, {})
            schema, table = parse_lock_table(w.get("lock_table"))
            wait = float(w.get("wait_seconds") or 0)
            longest = max(longest, wait)
            if table:
                tables.add((schema, table))
            details.append({"pid": pid, "waiting_s": wait, "lock_mode": w.get("waiting_lock_mode"),
                            "lock_type": w.get("lock_type"), "table": table, "index": w.get("locked_index"),
                            "query": short_query(w.get("waiting_query"), 160)})
        if longest < t["min_wait_s"]:
            continue
        b = blockers.get(root, {})
        s = sessions.get(root, {})
        idle = str(b.get("blocking_command") or s.get("command") or "") == "Sleep"
        schema, table = next(iter(sorted(tables, key=str)), (None, None))
        severity = ("critical" if len(victims) >= t["critical_blocked"] or longest >= t["critical_wait_s"]
                    else "warning")
        what = f" on {table}" if table else ""
        yield Finding(
            check="lock_contention",
            severity=severity,
            title=f"Session {root} blocks {len(victims)} session(s){what}, longest wait {human_seconds(longest)}"
                  + (" (the blocker is idle in its transaction)" if idle else ""),
            object={"pid": root, "role": b.get("blocking_user") or s.get("user"), "schema": schema, "table": table,
                    "index": next((d["index"] for d in details if d.get("index")), None),
                    "database": s.get("db")},
            evidence={"blocker_command": b.get("blocking_command") or s.get("command"),
                      "blocker_idle_s": b.get("blocking_command_seconds") if idle else None,
                      "blocker_trx_age_s": b.get("blocking_trx_seconds"),
                      "blocker_lock_mode": b.get("blocking_lock_mode"),
                      "blocker_query": short_query(b.get("blocking_query") or s.get("query"), 300),
                      "blocked": details, "longest_wait_s": longest,
                      "source": "performance_schema.data_lock_waits" if snap.meta.get("flavor") == "mysql"
                      and snap.version_num >= 80000 else "information_schema.INNODB_LOCK_WAITS"},
            recommendation=(f"The root blocker, session {root}, is "
                            + ("idle inside its transaction: the application did not commit. " if idle
                               else "still running. ")
                            + "End its transaction (commit or roll back in the application, or KILL it). Keep "
                              "transactions short and take row locks in a consistent order."),
            sql=f"KILL {root};  -- ends the session; its transaction is rolled back",
        )
    yield from _metadata_lock_waits(snap, t)


def _metadata_lock_waits(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Sessions queued on a metadata lock: the holder is an open transaction older than the wait."""
    waiting = [r for r in user_sessions(snap) if MDL_WAIT in str(r.get("state") or "").lower()
               and _seconds(r) >= t["min_wait_s"]]
    if not waiting:
        return
    longest = max(_seconds(r) for r in waiting)
    trx = sorted(records(snap["transactions"]), key=lambda r: -(r.get("trx_seconds") or 0))
    # trx_started has one-second resolution: a holder opened its transaction before the wait began
    holders = [r for r in trx if (r.get("trx_seconds") or 0) + 1 >= longest and r.get("pid") is not None
               and int(r["pid"]) not in {int(w["pid"]) for w in waiting}]
    root = int(holders[0]["pid"]) if holders else None
    yield Finding(
        check="lock_contention",
        severity="critical" if len(waiting) >= t["critical_blocked"] or longest >= t["critical_wait_s"]
        else "warning",
        title=f"{len(waiting)} session(s) wait for a table metadata lock, longest {human_seconds(longest)}",
        object={"pid": root, "database": waiting[0].get("db")},
        evidence={"waiting": [{"pid": int(r["pid"]), "waiting_s": _seconds(r), "state": r.get("state"),
                               "query": short_query(r.get("query"), 160)} for r in waiting],
                  "likely_holders": [{"pid": int(h["pid"]), "trx_age_s": h.get("trx_seconds"),
                                      "command": h.get("command"), "query": short_query(h.get("query"), 160)}
                                     for h in holders[:5]],
                  "source": "processlist state + information_schema.INNODB_TRX"},
        recommendation=("A DDL statement (or LOCK TABLES) waits for transactions that touched the table to end, "
                        "and every later statement on the table queues behind it. End the oldest open transaction"
                        + (f" (session {root})" if root else "") + "; run DDL with a short lock_wait_timeout."),
        sql=f"KILL {root};  -- the oldest open transaction, the likely holder" if root else None,
    )


@check("connection_saturation", "activity", engines=ENGINES, warn_pct=80.0, critical_pct=95.0)
def connection_saturation(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Connected sessions close to ``max_connections``.

    Why: at the limit new connections fail with "Too many connections" (one extra is kept
    for an administrator), and thousands of threads contend for CPU and memory long before.
    Max_used_connections shows how close the peak came since startup.
    Fix: pool connections in the application (or ProxySQL / MaxScale), shrink pools; raise
    max_connections (dynamic) only with memory to spare.
    """
    counters = status(snap)
    limit = setting_num(snap, "max_connections")
    used = counters.get("threads_connected")
    if not limit or used is None:
        return
    pct = 100.0 * used / limit
    peak = counters.get("max_used_connections")
    if pct < t["warn_pct"]:
        return
    by_command: dict[str, int] = {}
    for r in user_sessions(snap):
        by_command[str(r.get("command"))] = by_command.get(str(r.get("command")), 0) + 1
    yield Finding(
        check="connection_saturation",
        severity="critical" if pct >= t["critical_pct"] else "warning",
        title=f"{int(used)} of {int(limit)} connections in use ({pct:.0f}%)",
        object={"setting": "max_connections"},
        evidence={"threads_connected": int(used), "max_connections": int(limit),
                  "max_used_connections": int(peak) if peak is not None else None,
                  "threads_running": counters.get("threads_running"), "by_command": by_command,
                  "source": "global status"},
        recommendation=("Pool connections and shrink application pools (most of them are usually Sleep); raise "
                        "max_connections only with memory for the per-thread buffers."),
        sql=f"SET GLOBAL max_connections = {int(limit * 1.5)};  -- dynamic; also in the config file to persist",
    )


__all__ = ["connection_saturation", "lock_contention", "long_running_query"]
