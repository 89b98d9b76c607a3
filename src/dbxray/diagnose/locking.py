"""Locking chains: lock waits → the root blocker (its state, how long its transaction has been open,
what it last ran) → how many sessions and how many seconds of waiting hang on it. When the same
session also holds back the xmin horizon, its vacuum damage joins the chain: one cause, one fix."""

from __future__ import annotations

from typing import Any

from dbxray.diagnose.common import count, num, seconds, short, worst
from dbxray.diagnose.evidence import Evidence
from dbxray.diagnose.model import Bottleneck, Fix

SAME_SESSION = ("idle_in_transaction", "long_running_query", "xmin_horizon")


def locking_bottlenecks(ev: Evidence) -> list[Bottleneck]:
    out = []
    for f in sorted(ev.by_check.get("lock_contention", ()), key=lambda f: -num(f.evidence.get("longest_wait_s"))):
        if f.id in ev.claimed:
            continue
        e = f.evidence
        pid = f.object.get("pid")
        waiters: list[dict[str, Any]] = [w for w in (e.get("blocked") or e.get("waiting") or ())
                                         if isinstance(w, dict)]
        n = len(waiters)
        waits = [num(w.get("waiting_s")) for w in waiters]
        total_wait, longest = sum(waits), num(e.get("longest_wait_s")) or max(waits, default=0.0)
        chain = [f]
        same = [g for g in ev.by_pid.get(int(pid), ()) if g.check in SAME_SESSION and g.id not in ev.claimed] \
            if pid is not None else []
        chain += same
        state = e.get("blocker_state") or e.get("blocker_command") or "unknown state"
        if str(state) == "Sleep":
            state = "idle in its transaction"
        xact = e.get("blocker_xact_age_s") or e.get("blocker_trx_age_s")
        last = short(e.get("blocker_query"), 140)
        who = f"pid {pid}" if pid is not None else "an open transaction"
        role = f.object.get("role")
        cause = (f"{who}{f' ({role})' if role else ''} is {state}"
                 + (f" with its transaction open for {seconds(xact)}" if xact else "")
                 + (f"; it last ran: {last}" if last else "") + "; the others queue behind its locks")
        where = f.object.get("relation") or f.object.get("table")
        impact = (f"{n} session(s) wait behind it{f' on {where}' if where else ''}: {total_wait:,.0f} s of "
                  f"waiting so far, the longest {seconds(longest)}")
        horizon = next((g for g in same if g.check == "xmin_horizon"), None)
        if horizon is not None:
            impact += (f"; its snapshot also keeps vacuum from removing dead rows "
                       f"({count(horizon.evidence.get('dead_rows_in_database'))} waiting in this database)")
            chain += vacuum_victims(ev)
        fix = Fix(f.sql, f"the {n} waiting session(s) proceed at once"
                  + ("; vacuum can clean up again" if horizon is not None else ""),
                  "it rolls back everything the blocker's transaction did, and the application gets an error on "
                  "that connection; fix the code path that leaves transactions open")
        title = f"{who} blocks {n} session(s)" + (f" on {where}" if where else "") + \
            (" and holds back vacuum" if horizon is not None else "")
        score = 25.0 + 10.0 * n + min(total_wait / 3.0, 40.0)
        obj = {"pid": pid, "role": role, "schema": f.object.get("schema"), "table": f.object.get("table"),
               "relation": f.object.get("relation"), "database": f.object.get("database")}
        out.append(Bottleneck("locking", title, obj, cause, impact, ev.claim(chain), fix, "proven", worst(chain),
                              score=score))
    return out


def vacuum_victims(ev: Evidence) -> list:
    """The tables whose dead rows wait for vacuum (they pay for whoever holds the horizon)."""
    return [g for c in ("vacuum_overdue", "table_bloat") for g in ev.by_check.get(c, ())
            if g.id not in ev.claimed and g.evidence.get("autovacuum_enabled", True) is not False]


def deadlock_bottlenecks(ev: Evidence) -> list[Bottleneck]:
    """Deadlocks: transactions that take the same locks in opposite orders; the server kills one."""
    out = []
    for f in [*ev.by_check.get("deadlock", ()), *ev.by_check.get("deadlocks", ())]:
        if f.id in ev.claimed or f.severity == "info":
            continue
        e = f.evidence
        rate = e.get("per_hour")
        out.append(Bottleneck(
            "locking", f.title, dict(f.object),
            "transactions take the same row locks in opposite orders, so each waits for the other until the server "
            "rolls one back" + (f": {short(e.get('lock_order'), 200)}" if e.get("lock_order") else ""),
            (f"{num(rate):,.1f} deadlocks an hour" if rate is not None else
             f"{count(e.get('deadlocks'))} deadlocks since the statistics began")
            + "; each one rolls back a transaction the application must retry",
            ev.claim([f]), Fix(f.sql, short(f.recommendation, 240), "an application change: take locks in one "
                               "order (sort the keys), keep transactions short; retry on deadlock errors"),
            "proven", f.severity, score=20.0 + min(num(rate), 30.0) if rate is not None else 25.0))
    return out
