"""How the application uses transactions, from pg_stat_database's counters over a window: how many end in
ROLLBACK, how often deadlocks strike, how long transactions sit idle while holding their locks and snapshot.

The window is the interval since the baseline (``dbxray report --baseline`` / history), else the time since
the statistics were reset; each finding says which in ``evidence.measured``. What PostgreSQL does not count
is said, not guessed: serialization failures and ``lock_timeout`` cancellations are errors, and only the
server log records them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.design_rules import pct, per_hour, window_text
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import records
from dbxray.findings import Finding
from dbxray.report.interval_frames import counters

NOT_COUNTED = ("PostgreSQL counts neither serialization failures (SQLSTATE 40001) nor lock_timeout "
               "cancellations (55P03) in its statistics: they are errors, logged only (log_min_error_statement)")


def xact_window(snap: Any) -> tuple[dict[str, Any], float | None, str]:
    """(this database's transaction counters, seconds they cover, basis)."""
    frame, basis = counters(snap, "xact_stats")
    rows = records(frame)
    if not rows:
        return {}, None, basis
    row = rows[0]
    seconds = row.get("stats_age_s")
    return row, (float(seconds) if seconds else None), basis


def _isolation(snap: Any) -> str:
    return str(snap.setting("default_transaction_isolation") or "read committed")


@check("rollback_rate", "transactions", engines=ENGINES, info_pct=2.0, warn_pct=10.0, min_transactions=1000)
def rollback_rate(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """A high share of transactions ending in ROLLBACK: ``info_pct`` (info) or ``warn_pct`` (warning) of at
    least ``min_transactions`` in the window.

    Why: each rolled-back transaction did its work for nothing (and left dead rows for vacuum); a high
    share means failing statements (constraint violations, deadlock victims, serialization failures
    under REPEATABLE READ / SERIALIZABLE, timeouts) or a client that wraps reads in transactions it rolls
    back. Some drivers and pools roll back read-only transactions by design: those show as a steady
    share with no errors in the log. PostgreSQL does not count the causes: the server log does.
    Fix: find the failing statements in the log (``log_min_error_statement = error``); retry
    serialization failures in the application; end read-only transactions with COMMIT.
    """
    row, seconds, basis = xact_window(snap)
    commits, rollbacks = float(row.get("xact_commit") or 0), float(row.get("xact_rollback") or 0)
    total = commits + rollbacks
    if total < t["min_transactions"]:
        return
    share = pct(rollbacks, total)
    if share < t["info_pct"]:
        return
    iso = _isolation(snap)
    causes = ("deadlock victims, constraint violations, timeouts, or a client that rolls back read-only "
              "transactions")
    if iso in ("repeatable read", "serializable"):
        causes = f"serialization failures ({iso} is the default isolation here), " + causes
    deadlocks = float(row.get("deadlocks") or 0)
    yield Finding(
        check="rollback_rate",
        severity="warning" if share >= t["warn_pct"] else "info",
        title=f"{share:.1f}% of transactions roll back ({per_hour(rollbacks, seconds) or 0:,.0f} an hour)",
        object={"database": row.get("database") or snap.database},
        evidence={"xact_commit": int(commits), "xact_rollback": int(rollbacks), "rollback_pct": round(share, 2),
                  "rollbacks_per_hour": round(per_hour(rollbacks, seconds) or 0, 1), "deadlocks": int(deadlocks),
                  "default_isolation": iso, "measured": window_text(seconds, basis), "not_counted": NOT_COUNTED},
        recommendation=(f"{share:.1f}% of the work is thrown away. Likely causes: {causes}. The statistics do not "
                        "say which: the server log does (with log_min_error_statement = error, the default, it "
                        "names each failing statement); retry serialization failures and deadlock victims in the "
                        "application, and end read-only transactions with COMMIT."),
        sql=("ALTER SYSTEM SET log_min_error_statement = 'error';\nSELECT pg_reload_conf();"
             if str(snap.setting("log_min_error_statement", "error")) in ("log", "fatal", "panic") else None),
    )


@check("deadlock_rate", "transactions", engines=ENGINES, warn_per_hour=1.0, min_observed_s=600.0)
def deadlock_rate(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Deadlocks in this database (``pg_stat_database.deadlocks``) and their rate per hour.

    Why: each deadlock makes PostgreSQL wait ``deadlock_timeout``, then cancel one of the transactions
    (its work is lost, its client gets SQLSTATE 40P01). ``warn_per_hour`` or more an hour, over a window
    of at least ``min_observed_s``, is a pattern in the application's lock order (warning); fewer, or a
    window too short to call it a rate, is info.
    Fix: take row locks in one global order (e.g. sort ids before updating several rows; lock the parent
    before the children), keep transactions short, and retry the victim; ``log_lock_waits`` and the
    deadlock reports in the log show the statements involved.
    """
    row, seconds, basis = xact_window(snap)
    n = float(row.get("deadlocks") or 0)
    if n <= 0:
        return
    rate = per_hour(n, seconds)
    observed = bool(seconds and seconds >= t["min_observed_s"])
    severity = "warning" if observed and rate is not None and rate >= t["warn_per_hour"] else "info"
    yield Finding(
        check="deadlock_rate",
        severity=severity,
        title=(f"{int(n):,} deadlock(s), {rate:,.1f} an hour" if rate is not None else f"{int(n):,} deadlock(s)")
              + ("" if observed else " (a short window: not yet a rate)"),
        object={"database": row.get("database") or snap.database},
        evidence={"deadlocks": int(n), "per_hour": round(rate, 2) if rate is not None else None,
                  "deadlock_timeout": snap.setting("deadlock_timeout"),
                  "log_lock_waits": snap.setting("log_lock_waits"),
                  "measured": window_text(seconds, basis)},
        recommendation=("Transactions lock the same rows in different orders. Take locks in one order everywhere "
                        "(sort the keys before updating several rows, lock parents before children), keep "
                        "transactions short, and retry the cancelled one. The server log has each deadlock's "
                        "statements; log_lock_waits shows the waits that almost became one."),
        sql=("ALTER SYSTEM SET log_lock_waits = on;\nSELECT pg_reload_conf();"
             if str(snap.setting("log_lock_waits", "off")) != "on" else None),
    )


@check("idle_transaction_time", "transactions", engines=ENGINES, warn_avg_ms=100.0, info_avg_ms=20.0,
       min_share_pct=25.0, min_transactions=100)
def idle_transaction_time(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Transactions that sit idle between their statements, across the whole window (PostgreSQL 14+:
    ``pg_stat_database.idle_in_transaction_time``), not just the sessions idle at report time.

    Why: an idle transaction keeps its row locks (others wait) and its snapshot (vacuum cannot remove
    dead rows anywhere), typically because the application does other work — a remote call, a file,
    user think time — inside it. Reported when the average idle time per transaction reaches
    ``info_avg_ms`` (info) or ``warn_avg_ms`` (warning) and idle time is at least ``min_share_pct`` of
    the time transactions were open (active + idle in transaction), over ``min_transactions`` or more.
    A client's round trip between statements also counts: a few milliseconds per transaction is the
    network, not a pattern.
    Fix: move the slow work out of the transaction (do it before BEGIN or after COMMIT); set
    ``idle_in_transaction_session_timeout`` as the safety net.
    """
    row, seconds, basis = xact_window(snap)
    idle, active = row.get("idle_in_transaction_ms"), row.get("active_ms")
    if idle is None or active is None:
        return
    idle, active = float(idle), float(active)
    xacts = float(row.get("xact_commit") or 0) + float(row.get("xact_rollback") or 0)
    if xacts < t["min_transactions"] or idle <= 0:
        return
    avg = idle / xacts
    share = pct(idle, idle + active)
    if avg < t["info_avg_ms"] or share < t["min_share_pct"]:
        return
    timeout = snap.setting("idle_in_transaction_session_timeout")
    yield Finding(
        check="idle_transaction_time",
        severity="warning" if avg >= t["warn_avg_ms"] else "info",
        title=f"Transactions sit idle {avg:,.0f} ms on average ({share:.0f}% of their open time)",
        object={"database": row.get("database") or snap.database},
        evidence={"idle_in_transaction_ms": round(idle), "active_ms": round(active), "idle_pct": round(share, 1),
                  "avg_idle_ms_per_transaction": round(avg, 1), "transactions": int(xacts),
                  "idle_hours_per_hour": round(idle / 1000.0 / seconds, 3) if seconds else None,
                  "idle_in_transaction_session_timeout": timeout, "measured": window_text(seconds, basis)},
        recommendation=("Transactions stay open while the application does something else, holding their locks and "
                        "the vacuum horizon. Do the slow work (remote calls, rendering, user input) before BEGIN or "
                        "after COMMIT, and keep a timeout as the safety net."),
        sql=("ALTER SYSTEM SET idle_in_transaction_session_timeout = '5min';\nSELECT pg_reload_conf();"
             if str(timeout or "0") in ("0", "") else None),
    )


__all__ = ["deadlock_rate", "idle_transaction_time", "rollback_rate", "xact_window"]
