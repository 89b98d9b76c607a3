"""Chains for the engineer's-review checks that are bottlenecks, not hygiene: how transactions fail and
wait across the window (deadlocks, rollbacks, idle transactions, row-lock waits), and a cache too small
for the working set. The schema-design findings stay findings (hygiene with a fix), except the JSON
filter, which joins its statement's chain (``statements``)."""

from __future__ import annotations

from dbxray.diagnose.common import num, worst
from dbxray.diagnose.evidence import Evidence
from dbxray.diagnose.model import Bottleneck, Fix

TRANSACTION_CHECKS = ("deadlock_rate", "row_lock_waits", "idle_transaction_time", "rollback_rate")


def transaction_bottlenecks(ev: Evidence) -> list[Bottleneck]:
    """One locking bottleneck for the transaction pattern: its findings, the worst first."""
    chain = [f for c in TRANSACTION_CHECKS for f in ev.by_check.get(c, ())
             if f.id not in ev.claimed and f.severity in ("critical", "warning")]
    if not chain:
        return []
    primary = chain[0]
    e = primary.evidence
    if primary.check == "deadlock_rate":
        impact = f"{num(e.get('per_hour')):,.1f} deadlocks an hour, each one transaction's work lost"
        score = 20.0 + min(num(e.get("per_hour")), 40.0)
    elif primary.check == "row_lock_waits":
        impact = (f"{num(e.get('wait_s_per_hour')):,.1f} s of waiting for row locks per hour, "
                  f"{num(e.get('avg_wait_ms')):,.0f} ms per wait")
        score = 15.0 + min(num(e.get("wait_s_per_hour")) / 6.0, 40.0)
    elif primary.check == "idle_transaction_time":
        impact = (f"transactions idle {num(e.get('avg_idle_ms_per_transaction')):,.0f} ms on "
                  f"average, {num(e.get('idle_pct')):.0f}% of their open time, holding locks and the vacuum horizon")
        score = 15.0 + min(num(e.get("idle_pct")) / 4.0, 25.0)
    else:
        impact = f"{num(e.get('rollback_pct')):.1f}% of transactions roll back: their work is thrown away"
        score = 10.0 + min(num(e.get("rollback_pct")) / 2.0, 25.0)
    cause = "; ".join(f.title for f in chain)
    return [Bottleneck(
        "locking", f"Transactions: {primary.title[0].lower() + primary.title[1:]}", dict(primary.object), cause,
        impact, ev.claim(chain), Fix(primary.sql, primary.recommendation, "an application change: how transactions "
                                     "are scoped, ordered and retried"), "proven", worst(chain), score=score)]


def cache_bottlenecks(ev: Evidence) -> list[Bottleneck]:
    out = []
    for f in ev.by_check.get("cache_hit_ratio", ()):
        if f.id in ev.claimed or f.severity == "info":
            continue
        e = f.evidence
        out.append(Bottleneck(
            "configuration", f.title, dict(f.object),
            f"the workload's working set (~{e.get('working_set')}) does not fit in the cache, so pages are read from "
            "disk again and again", f"{100 - num(e.get('hit_pct')):.2f}% of page requests miss the cache",
            ev.claim([f]), Fix(f.sql, f.recommendation, "a memory setting: check the RAM first (some need a restart)"),
            "likely", f.severity, score=12.0 + min(100 - num(e.get("hit_pct")), 20.0)))
    return out


__all__ = ["cache_bottlenecks", "transaction_bottlenecks"]
