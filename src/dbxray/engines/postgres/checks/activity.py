"""Activity checks for PostgreSQL: long queries, idle transactions, lock waits, connection limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import as_list, human_seconds, records, short_query
from dbxray.findings import Finding


def _client_sessions(snap: Any) -> list[dict[str, Any]]:
    return [r for r in records(snap["activity"]) if r.get("backend_type") == "client backend"]


@check("long_running_query", "activity", engines=ENGINES, warn_s=60.0, critical_s=1800.0)
def long_running_query(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements running for ``warn_s`` seconds or more (PgHero's 60 s).

    Why: a long statement holds its locks and its snapshot for its whole life, which blocks
    DDL and keeps vacuum from removing dead rows everywhere, not only in its tables.
    Fix: cancel it if it is not meant to run that long, then find out why it is slow;
    a ``statement_timeout`` on the application's role stops the next one.
    """
    for r in _client_sessions(snap):
        age = r.get("query_age_s")
        if r.get("state") != "active" or age is None or age < t["warn_s"]:
            continue
        pid = int(r["pid"])
        yield Finding(
            check="long_running_query",
            severity="critical" if age >= t["critical_s"] else "warning",
            title=f"Query running for {human_seconds(age)} (pid {pid}, {r.get('role')})",
            object={"pid": pid, "role": r.get("role"), "database": r.get("database")},
            evidence={"query_age_s": round(age, 1), "xact_age_s": r.get("xact_age_s"),
                      "wait_event": f"{r.get('wait_event_type')}:{r.get('wait_event')}" if r.get("wait_event")
                      else None, "application": r.get("application_name"), "client": r.get("client_addr"),
                      "xmin_age": r.get("xmin_age"), "query": short_query(r.get("query"), 400)},
            recommendation=("If it should not run this long, cancel it (pg_cancel_backend; pg_terminate_backend "
                            "if cancel is ignored) and set a statement_timeout for its role. Then explain it."),
            sql=f"SELECT pg_cancel_backend({pid});\n-- if that is not enough: SELECT pg_terminate_backend({pid});",
        )


@check("lock_contention", "activity", engines=ENGINES, min_wait_s=5.0, critical_wait_s=300.0, critical_blocked=3)
def lock_contention(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Sessions waiting on locks held by others: who blocks whom, on what, for how long.

    Why: a blocked session does nothing while it waits, and queues form behind it (a DDL
    waiting for a lock blocks every later reader of the table). One finding per root
    blocker (a blocker not itself blocked), listing everything waiting behind it.
    Critical when ``critical_blocked`` sessions wait or one waits ``critical_wait_s``.
    Fix: end the root blocker's transaction (commit, roll back, or terminate it).
    """
    sessions = {int(r["pid"]): r for r in records(snap["activity"])}
    waits = {int(r["pid"]): r for r in records(snap["locks"])}
    blocked = {pid: [int(p) for p in as_list(r.get("blocked_by"))] for pid, r in sessions.items()
               if as_list(r.get("blocked_by"))}
    if not blocked:
        return

    def root_of(pid: int, seen: frozenset = frozenset()) -> set[int]:
        parents = blocked.get(pid)
        if not parents:
            return {pid}
        roots: set[int] = set()
        for p in parents:
            roots |= {p} if p in seen else root_of(p, seen | {pid})
        return roots

    tree: dict[int, list[int]] = {}
    for pid in blocked:
        for root in root_of(pid):
            tree.setdefault(root, []).append(pid)
    for root, victims in sorted(tree.items()):
        details = []
        longest = 0.0
        for pid in sorted(victims):
            s = sessions.get(pid, {})
            w = waits.get(pid, {})
            wait = w.get("wait_s") if w.get("wait_s") is not None else s.get("state_age_s")
            longest = max(longest, wait or 0.0)
            relation = w.get("relation") or next(iter(as_list(w.get("held_relations"))), None)
            details.append({"pid": pid, "waiting_s": round(wait or 0, 1), "mode": w.get("mode"),
                            "locktype": w.get("locktype"), "relation": relation,
                            "query": short_query(s.get("query"), 160)})
        if longest < t["min_wait_s"]:
            continue
        blocker = sessions.get(root, {})
        relations = sorted({d["relation"] for d in details if d.get("relation")})
        severity = "critical" if len(victims) >= t["critical_blocked"] or longest >= t["critical_wait_s"] \
            else "warning"
        what = f" on {', '.join(relations)}" if relations else ""
        yield Finding(
            check="lock_contention",
            severity=severity,
            title=f"pid {root} blocks {len(victims)} session(s){what}, longest wait {human_seconds(longest)}",
            object={"pid": root, "role": blocker.get("role"), "relation": relations[0] if relations else None,
                    "database": blocker.get("database")},
            evidence={"blocker_state": blocker.get("state"), "blocker_xact_age_s": blocker.get("xact_age_s"),
                      "blocker_query": short_query(blocker.get("query"), 300), "blocked": details,
                      "longest_wait_s": round(longest, 1)},
            recommendation=(f"The root blocker, pid {root}, is {blocker.get('state') or 'unknown'}: finish its "
                            "transaction (commit or roll back in the application) or terminate it. Keep "
                            "transactions short and take row locks in a consistent order."),
            sql=f"SELECT pg_terminate_backend({root});  -- ends its transaction; everything it did is rolled back",
        )


@check("connection_saturation", "activity", engines=ENGINES, warn_pct=80.0, critical_pct=95.0)
def connection_saturation(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Client connections close to ``max_connections`` (minus the superuser reserve).

    Why: when the limit is reached new connections are refused and the application fails;
    long before that, hundreds of mostly idle backends waste memory and CPU.
    Fix: put a connection pooler (PgBouncer) in front, shrink the application pools, and
    only then consider raising max_connections (a restart).
    """
    db = snap["database"]
    if db.empty:
        return
    row = db.iloc[0]
    limit = int(row["max_connections"]) - int(row.get("reserved_connections") or 0)
    used = int(row.get("client_connections") or 0) + 1  # dbxray's own session counts against the limit too
    pct = 100.0 * used / max(limit, 1)
    if pct < t["warn_pct"]:
        return
    states: dict[str, int] = {}
    for r in _client_sessions(snap):
        states[str(r.get("state"))] = states.get(str(r.get("state")), 0) + 1
    yield Finding(
        check="connection_saturation",
        severity="critical" if pct >= t["critical_pct"] else "warning",
        title=f"{used} of {limit} available connections in use ({pct:.0f}%)",
        object={"setting": "max_connections"},
        evidence={"connections": used, "max_connections": int(row["max_connections"]),
                  "reserved": int(row.get("reserved_connections") or 0), "by_state": states},
        recommendation=("Pool connections (PgBouncer in transaction mode) and reduce application pool sizes; idle "
                        "sessions still cost memory. Raise max_connections only with the pooler in place."),
        sql=None,
    )
