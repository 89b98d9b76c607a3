"""Deadlocks: how many InnoDB has resolved since startup, and what the latest one was.

Counts: ``Innodb_deadlocks`` (MariaDB's global status) or the ``lock_deadlocks`` InnoDB metric
(MySQL 8 has no status variable; the metric is on by default; MariaDB has it too). The latest
deadlock: ``SHOW ENGINE INNODB STATUS``'s ``LATEST DETECTED DEADLOCK`` section, parsed by
``engines.mysql.innodb_status`` (needs PROCESS, as does INNODB_METRICS).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import human_seconds, records, short_query
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import server_row, setting, status, truthy
from dbxray.engines.mysql.innodb_status import Deadlock, DeadlockTransaction, Lock, latest_deadlock
from dbxray.findings import Finding


def _count(snap: Any) -> tuple[float | None, str | None]:
    counters = status(snap)
    if counters.get("innodb_deadlocks") is not None:
        return counters["innodb_deadlocks"], "global status Innodb_deadlocks"
    for r in records(snap["innodb_metrics"]):
        if str(r.get("name")) == "lock_deadlocks" and r.get("value") is not None:
            return float(r["value"]), "information_schema.INNODB_METRICS lock_deadlocks"
    return None, None


def _status_text(snap: Any) -> str | None:
    for r in records(snap["innodb_status"]):
        text = r.get("Status") or r.get("status")
        if text:
            return str(text)
    return None


def _lock_text(lock: Lock | None) -> str | None:
    if lock is None:
        return None
    where = f"{lock.schema}.{lock.table}" if lock.schema else str(lock.table)
    text = f"{lock.mode} lock on {where}"
    if lock.index:
        text += f" index {lock.index}"
    if lock.record:
        text += f" record {lock.record}"
    return text


def _trx_evidence(trx: DeadlockTransaction, victim: bool) -> dict[str, Any]:
    return {"transaction": trx.number, "thread_id": trx.thread_id, "client": trx.client,
            "active_s": trx.active_seconds, "rolled_back": victim,
            "query": short_query(trx.query, 300),
            "holds": [_lock_text(x) for x in trx.holds[:5]],
            "waits_for": _lock_text(trx.waits_for),
            "row_locks": trx.row_locks, "undo_log_entries": trx.undo_log_entries}


def _lock_order(d: Deadlock) -> str:
    """The cycle in words: T1 holds A and waits for B, T2 holds B and waits for A."""
    parts = []
    for trx in d.transactions:
        held = next((x for x in trx.holds if x.lock_type == "RECORD"), None)
        parts.append(f"transaction ({trx.number}) "
                     + (f"held {_lock_text(held)} and " if held else "")
                     + f"waited for {_lock_text(trx.waits_for) or 'a lock'}")
    return "; ".join(parts)


def _age_s(snap: Any, when: str | None) -> float | None:
    now = server_row(snap).get("server_now")
    if not when or now is None:
        return None
    try:
        detected = dt.datetime.strptime(when, "%Y-%m-%d %H:%M:%S")
        now = now if isinstance(now, dt.datetime) else dt.datetime.fromisoformat(str(now))
        return max(0.0, (now.replace(tzinfo=None) - detected).total_seconds())
    except (TypeError, ValueError):
        return None


@check("deadlock", "activity", engines=ENGINES, min_count=1, warn_per_hour=1.0, recent_s=3600.0)
def deadlock(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Deadlocks InnoDB resolved since startup, with both transactions of the latest one.

    Why: each deadlock rolls one transaction back (error 1213): the application must retry it,
    and many do not. A deadlock is a lock-order bug: two transactions lock the same rows in
    opposite orders (or one takes a gap lock the other's insert needs).
    Reads: the count (``Innodb_deadlocks`` on MariaDB, the ``lock_deadlocks`` metric of
    INNODB_METRICS on MySQL 8), and the latest deadlock from SHOW ENGINE INNODB STATUS (needs
    PROCESS): when, both transactions with their statement, the rows they held and waited for,
    and which one was rolled back. Reported from ``min_count`` deadlocks; a warning from
    ``warn_per_hour`` per hour of uptime or when the latest is less than ``recent_s`` old.
    Fix: make every transaction take its row locks in one order (e.g. by primary key), keep
    transactions short, index the columns of locking reads (fewer gap locks), retry on 1213;
    ``innodb_print_all_deadlocks = ON`` logs every deadlock, not only the latest.
    """
    count, count_source = _count(snap)
    text = _status_text(snap)
    latest = latest_deadlock(text) if text else None
    if latest is not None and not latest.transactions:
        latest = None
    if (count is None or count < t["min_count"]) and latest is None:
        return
    uptime = status(snap).get("uptime")
    per_hour = count / (uptime / 3600.0) if count and uptime else None
    age = _age_s(snap, latest.detected_at) if latest else None
    severity = "warning" if ((per_hour or 0) >= t["warn_per_hour"] or (age is not None and age < t["recent_s"])) \
        else "info"
    evidence: dict[str, Any] = {"deadlocks": int(count) if count is not None else None, "count_source": count_source,
                                "per_hour": round(per_hour, 2) if per_hour is not None else None,
                                "uptime_s": uptime}
    obj: dict[str, Any] = {"setting": "innodb_print_all_deadlocks"}
    if latest is not None:
        victim = latest.victim
        tables = sorted({f"{x.schema}.{x.table}" for trx in latest.transactions
                         for x in [*trx.holds, *([trx.waits_for] if trx.waits_for else [])] if x.table})
        evidence.update({"latest_at": latest.detected_at,
                         "latest_age_s": round(age) if age is not None else None,
                         "tables": tables, "lock_order": _lock_order(latest),
                         "transactions": [_trx_evidence(x, x is victim) for x in latest.transactions],
                         "rolled_back": victim.number if victim else latest.rolled_back,
                         "notes": latest.notes or None, "latest_source": "SHOW ENGINE INNODB STATUS"})
        if tables:
            schema, _, table = tables[0].partition(".")
            obj = {"schema": schema, "table": table}
    else:
        evidence["latest"] = ("not read: SHOW ENGINE INNODB STATUS needs the PROCESS privilege"
                              if snap.run_of("innodb_status") and snap.run_of("innodb_status").status != "ok"
                              else "the status text has no LATEST DETECTED DEADLOCK section")
    print_all = setting(snap, "innodb_print_all_deadlocks")
    evidence["innodb_print_all_deadlocks"] = print_all
    when = (f", the latest {human_seconds(age)} ago" if age is not None else "")
    where = f" on {', '.join(evidence['tables'][:3])}" if evidence.get("tables") else ""
    title = (f"{int(count):,} deadlock(s) since startup{where}{when}" if count
             else f"A deadlock{where}{when}")
    advice = ("Make every transaction lock these rows in the same order (e.g. ascending primary key, or lock "
              "them all up front with one SELECT ... ORDER BY id FOR UPDATE), keep transactions short, and retry "
              "on error 1213.")
    if latest is not None:
        advice = f"Latest: {evidence['lock_order']}. " + advice
    sql = None
    if print_all is not None and not truthy(print_all):
        sql = ("SET GLOBAL innodb_print_all_deadlocks = ON;  -- every deadlock to the error log, not only the "
               "latest (also in the config file)")
        advice += " Log every deadlock, not only the latest: innodb_print_all_deadlocks = ON."
    yield Finding(check="deadlock", severity=severity, title=title, object=obj, evidence=evidence,
                  recommendation=advice, sql=sql)


__all__ = ["deadlock"]
