"""How the application uses transactions on MySQL / MariaDB, from the global status counters over a window:
how many explicit transactions end in ROLLBACK, how often and how long sessions wait for row locks.

The window is the interval since the baseline (``dbxray report --baseline`` / history), else the time since
the server started (``Uptime``); each finding says which in ``evidence.measured``. These status counters
are the whole server's (MySQL keeps none per database), so the findings are about the server. Deadlocks are the
``deadlock`` check's (``Innodb_deadlocks`` and the last deadlock's statements).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.design_rules import pct, per_hour, window_text
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import memo, records, setting, setting_num
from dbxray.findings import Finding
from dbxray.report.interval_frames import counters


def status_window(snap: Any) -> tuple[dict[str, float], float | None, str]:
    """(global status as numbers, seconds the counters cover, basis)."""
    frame, basis = counters(snap, "status")

    def build() -> dict[str, float]:
        out: dict[str, float] = {}
        for r in records(frame):
            try:
                out[str(r["name"]).lower()] = float(r["value"])
            except (TypeError, ValueError):
                continue
        return out

    values = memo(frame, "design_status", build)
    return values, values.get("uptime"), basis


@check("rollback_rate", "transactions", engines=ENGINES, info_pct=2.0, warn_pct=10.0, min_transactions=1000)
def rollback_rate(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """A high share of explicit transactions ending in ROLLBACK (``Com_rollback`` against ``Com_commit`` +
    ``Com_rollback``): ``info_pct`` (info) or ``warn_pct`` (warning) of at least ``min_transactions``.

    Why: each rolled-back transaction did its work for nothing, and InnoDB undoes it row by row (a large
    rollback can take longer than the work did). A high share means failing statements (duplicate keys,
    deadlock victims, lock wait timeouts) or a client that wraps reads in transactions it rolls back —
    some connection pools send ROLLBACK when a connection is returned, which shows as a steady share
    with no errors. Autocommit statements are not transactions here (MySQL does not count their commits
    in ``Com_commit``); ``Handler_rollback`` (statement-level rollbacks included) is in the evidence.
    Fix: find the failing statements (performance_schema ``events_statements_summary_by_digest.SUM_ERRORS``,
    the error log); retry deadlock victims; end read-only transactions with COMMIT, or let the pool skip
    the rollback on return.
    """
    values, seconds, basis = status_window(snap)
    commits, rollbacks = values.get("com_commit", 0.0), values.get("com_rollback", 0.0)
    total = commits + rollbacks
    if total < t["min_transactions"]:
        return
    share = pct(rollbacks, total)
    if share < t["info_pct"]:
        return
    errors = _digest_errors(snap)
    yield Finding(
        check="rollback_rate",
        severity="warning" if share >= t["warn_pct"] else "info",
        title=f"{share:.1f}% of explicit transactions on the server roll back "
              f"({per_hour(rollbacks, seconds) or 0:,.0f} an hour)",
        object={},
        evidence={"com_commit": int(commits), "com_rollback": int(rollbacks), "rollback_pct": round(share, 2),
                  "rollbacks_per_hour": round(per_hour(rollbacks, seconds) or 0, 1),
                  "handler_rollback": int(values.get("handler_rollback", 0)),
                  "handler_commit": int(values.get("handler_commit", 0)),
                  "statements_with_errors": errors or None, "isolation": setting(snap, "tx_isolation") or
                  setting(snap, "transaction_isolation"), "measured": window_text(seconds, basis)},
        recommendation=(f"{share:.1f}% of the transactions' work is thrown away. "
                        + ("The digests with errors are in the evidence: start there. " if errors else
                           "No digest records errors, which points at a client or pool that rolls back on purpose "
                           "(read-only transactions, connection reset on return): end those with COMMIT. ")
                        + "Retry deadlock victims and lock-wait timeouts in the application."),
        sql=None,
    )


def _digest_errors(snap: Any) -> list[dict[str, Any]]:
    from dbxray.checks.helpers import short_query

    frame = snap["statements"]
    if frame.empty or "errors" not in frame:
        return []
    rows = [r for r in records(frame) if (r.get("errors") or 0) > 0]
    rows.sort(key=lambda r: -float(r.get("errors") or 0))
    return [{"query_id": str(r["queryid"]), "errors": int(r["errors"]), "calls": int(r.get("calls") or 0),
             "query": short_query(r.get("query"), 160)} for r in rows[:5]]


@check("row_lock_waits", "transactions", engines=ENGINES, min_waits=10, warn_avg_ms=500.0, warn_s_per_hour=60.0)
def row_lock_waits(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Sessions waiting for InnoDB row locks, as a pattern over the window (``Innodb_row_lock_waits``,
    ``Innodb_row_lock_time``), not only the waits open at report time.

    Why: a row-lock wait is a transaction holding a row another one needs — usually a transaction kept
    open across slow work, or hot rows (a counter, a queue head) every request updates. At least
    ``min_waits`` waits are reported (info); a warning when they average ``warn_avg_ms`` or more, or add up
    to ``warn_s_per_hour`` seconds of waiting per hour. Waits that end in ``innodb_lock_wait_timeout`` are
    errors the status counters do not separate.
    Fix: keep transactions short (no remote calls or user input inside), update hot rows last and in one
    order, and spread hot counters (one row per shard, summed on read).
    """
    values, seconds, basis = status_window(snap)
    waits = values.get("innodb_row_lock_waits", 0.0)
    if waits < t["min_waits"]:
        return
    total_ms = values.get("innodb_row_lock_time", 0.0)
    avg = total_ms / waits if waits else 0.0
    s_per_hour = per_hour(total_ms / 1000.0, seconds)
    severity = "warning" if avg >= t["warn_avg_ms"] or (s_per_hour or 0) >= t["warn_s_per_hour"] else "info"
    timeout = setting_num(snap, "innodb_lock_wait_timeout")
    yield Finding(
        check="row_lock_waits",
        severity=severity,
        title=f"{int(waits):,} row-lock waits on the server averaging {avg:,.0f} ms"
              + (f" ({s_per_hour:,.1f} s of waiting per hour)" if s_per_hour is not None else ""),
        object={},
        evidence={"waits": int(waits), "wait_ms_total": int(total_ms), "avg_wait_ms": round(avg, 1),
                  "max_wait_ms": values.get("innodb_row_lock_time_max"),
                  "waiting_now": values.get("innodb_row_lock_current_waits"),
                  "waits_per_hour": round(per_hour(waits, seconds) or 0, 1),
                  "wait_s_per_hour": round(s_per_hour, 2) if s_per_hour is not None else None,
                  "innodb_lock_wait_timeout_s": timeout, "measured": window_text(seconds, basis)},
        recommendation=("Transactions hold rows others need. Keep them short (commit before remote calls or user "
                        "input), touch hot rows last and always in the same order, and spread single hot rows "
                        "(counters, queue heads); the lock_contention findings name the sessions waiting now."),
        sql=None,
    )


__all__ = ["rollback_rate", "row_lock_waits", "status_window"]
