"""Outage risks and capacity: what stops the server outright (wraparound, an exhausted key, no free
connection) comes first whatever else is going on; connection headroom, the pooler advice."""

from __future__ import annotations

from dbxray.diagnose.common import count, num, worst
from dbxray.diagnose.evidence import Evidence
from dbxray.diagnose.model import Bottleneck, Fix

IMMINENT_PCT = 95.0


def risk_bottlenecks(ev: Evidence) -> list[Bottleneck]:
    out = []
    for f in ev.by_check.get("sequence_exhaustion", ()):
        if f.severity == "info":
            continue  # half used is worth knowing, not a bottleneck
        pct = num(f.evidence.get("used_pct"))
        left = f.evidence.get("values_left") or f.evidence.get("remaining")
        imminent = pct >= IMMINENT_PCT
        what = f.object.get("sequence") or f.object.get("table")
        out.append(Bottleneck(
            "outage_risk" if imminent else "capacity",
            f"{what} has used {pct:.1f}% of its values", dict(f.object),
            f"the key's type ({f.evidence.get('column_type') or f.evidence.get('sequence_type')}) runs out: at the "
            "limit every INSERT fails", f"{count(left)} values left", ev.claim([f]),
            Fix(f.sql, "room for the key to grow (bigint)", "changing a column's type rewrites the table under an "
                "exclusive lock: plan it (or migrate online to a new bigint column)"),
            "proven", f.severity, score=(1000.0 + pct) if imminent else pct / 3, imminent=imminent))
    for f in ev.by_check.get("growth", ()):
        if f.evidence.get("days_left") is None:
            continue  # table growth is information; keys running out are the risk
        days = num(f.evidence.get("days_left"))
        imminent = f.severity == "critical"
        out.append(Bottleneck(
            "outage_risk" if imminent else "capacity", f.title, dict(f.object),
            f"at the measured rate ({count(f.evidence.get('values_per_day'))} values a day) the key's type runs out "
            f"around {f.evidence.get('exhausted_around')}: from then every INSERT fails",
            f"{count(f.evidence.get('values_left'))} values left, about {days:,.0f} days", ev.claim([f]),
            Fix(f.sql, "room for the key to grow (bigint)", "changing a column's type rewrites the table under an "
                "exclusive lock: plan it (or migrate online to a new bigint column)"),
            "proven", f.severity, score=(1000.0 + 100 - min(days, 100)) if imminent else 60.0 - min(days, 90) / 3,
            imminent=imminent))
    for f in ev.by_check.get("xid_wraparound_risk", ()):
        pct = num(f.evidence.get("pct_of_limit"))
        imminent = f.severity == "critical"
        out.append(Bottleneck(
            "outage_risk" if imminent else "capacity", f.title, dict(f.object),
            "transaction IDs age toward the wraparound limit: at the limit the server refuses writes",
            f"{pct:.0f}% of the limit ({count(f.evidence.get('transactions_left'))} transactions left)"
            if f.evidence.get("transactions_left") else f"{pct:.0f}% of the limit", ev.claim([f]),
            Fix(f.sql, "the table's transaction-ID age drops back near zero", "VACUUM FREEZE reads and writes the "
                "whole table: I/O heavy, but it does not block reads or writes"),
            "proven", f.severity, score=(1000.0 + pct) if imminent else 40.0 + pct / 2, imminent=imminent))
    return out


def connection_bottlenecks(ev: Evidence) -> list[Bottleneck]:
    out = []
    for f in ev.by_check.get("connection_saturation", ()):
        e = f.evidence
        used = num(e.get("connections") or e.get("threads_connected"))
        limit = num(e.get("max_connections")) - num(e.get("reserved"))
        pct = 100.0 * used / limit if limit else 0.0
        states = e.get("by_state") or e.get("by_command") or {}
        idle = sum(v for k, v in states.items() if str(k).lower() in ("idle", "sleep"))
        idle_tx = sum(v for k, v in states.items() if str(k).startswith("idle in transaction"))
        active = sum(v for k, v in states.items() if str(k).lower() in ("active", "query", "execute"))
        chain = [f] + [g for g in ev.by_check.get("idle_in_transaction", ()) if g.id not in ev.claimed]
        imminent = pct >= IMMINENT_PCT
        cause = (f"{count(used)} of {count(limit)} connections are in use: {idle} idle, {idle_tx} idle in a "
                 f"transaction, {active} working; every connection costs memory whether it works or not")
        out.append(Bottleneck(
            "outage_risk" if imminent else "connections",
            f"Connections at {pct:.0f}% of the limit", {"setting": "max_connections"}, cause,
            f"{count(max(limit - used, 0))} connection(s) of headroom before new connections are refused",
            ev.claim(chain),
            Fix(f.sql, "a pooler (PgBouncer, ProxySQL) multiplexes many clients onto a few server connections: "
                "headroom without more memory", "pool sizes change how the application queues; raise the server "
                "limit only with the pooler in place"),
            "proven", worst(chain), score=(1000.0 + pct) if imminent else max(pct - 20.0, 1.0), imminent=imminent))
    return out


def configuration_bottlenecks(ev: Evidence) -> list[Bottleneck]:
    out = []
    for f in ev.by_check.get("setting", ()):
        if f.id in ev.claimed or f.severity == "info" or str(f.object.get("setting", "")).startswith("privilege:"):
            continue
        out.append(Bottleneck(
            "configuration", f.title, dict(f.object), f.title, "server-wide: every statement is affected",
            ev.claim([f]), Fix(f.sql, f.recommendation, "a server setting: some need a restart (the finding says "
                               "which); test on staging first"),
            "likely", f.severity, score=15.0 if f.severity == "warning" else 30.0))
    return out
