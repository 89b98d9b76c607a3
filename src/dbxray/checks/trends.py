"""What changed since the previous run (``--history`` / ``--baseline``): statements that regressed,
heavy statements that are new, tables that grow fast, integer keys that will run out, with dates.

These checks read two runs: the snapshot they get covers the interval since the previous run and
carries that run as ``snap.previous`` (and, with a history store, the run before it, so a statement's
time per call now is compared with the previous interval rather than with everything since the
statistics were reset). Counters that went down (a reset, a restart, a failover) are never turned
into negative rates: the interval then starts at the reset.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check, checks_for
from dbxray.checks.helpers import human_bytes, records, short_query
from dbxray.findings import Finding

DAY = 86400.0


def _by_query(frame: Any) -> dict[str, dict[str, float]]:
    """Statements aggregated by query id (PostgreSQL splits one by role and top level)."""
    out: dict[str, dict[str, Any]] = {}
    for r in records(frame):
        qid = str(r.get("queryid"))
        cur = out.setdefault(qid, {"calls": 0.0, "total_ms": 0.0, "query": r.get("query")})
        cur["calls"] += float(r.get("calls") or 0)
        cur["total_ms"] += float(r.get("total_ms") or 0)
    total = sum(v["total_ms"] for v in out.values()) or 1.0
    for v in out.values():
        v["mean_ms"] = v["total_ms"] / v["calls"] if v["calls"] else 0.0
        v["share_pct"] = 100.0 * v["total_ms"] / total
    return out


def _before(snap: Any) -> tuple[Any, str] | None:
    """The previous interval's statements (or, without the run before it, everything the previous run
    had counted since the statistics were reset), and how to name that window."""
    from dbxray.report.summary import interval_snapshot, statements

    prev = snap.previous
    if prev is None or not prev.has("statements"):
        return None
    older = prev.previous
    if older is not None and older.collected_at < prev.collected_at and older.has("statements"):
        window = interval_snapshot(prev, older)
        return statements(window["statements"]), f"{older.collected_at:%Y-%m-%d %H:%M} → {prev.collected_at:%H:%M}"
    return statements(prev["statements"]), f"until {prev.collected_at:%Y-%m-%d %H:%M} (since the statistics reset)"


@check("regression", "statements", min_calls=50, mean_ratio=2.0, min_mean_ms=1.0, share_jump_pct=20.0,
       share_jump_ratio=1.5, new_heavy_pct=10.0)
def regression(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements that got slower since the previous run, and heavy statements that are new.

    Why: the morning after a deploy, the question is "what got worse", not "what is slow": a
    statement whose time per call rose ``mean_ratio`` times (with ``min_calls`` calls in both
    intervals and at least ``min_mean_ms`` now), or whose share of all statement time jumped by
    ``share_jump_pct`` points while it also got ``share_jump_ratio`` times slower per call (a share
    grows on its own when the rest of the workload stops; at least ``min_mean_ms`` now too), regressed; one that takes
    ``new_heavy_pct`` of the time and was not there before is new load. The usual causes: a dropped
    or unused index, stale statistics after a bulk load, data growth past a plan's tipping point, a
    new parameter distribution, a new feature.
    Fix: read its plan now (``dbxray explain --query-id``) and compare with what it was.
    """
    from dbxray.report.summary import statements

    before = _before(snap)
    if before is None:
        return
    frame, window = before
    old = _by_query(frame)
    new = _by_query(statements(snap["statements"]))
    reset = (snap.meta.get("interval") or {}).get("reset")
    for qid, now in sorted(new.items(), key=lambda kv: -kv[1]["total_ms"]):
        was = old.get(qid)
        evidence = {"calls_after": int(now["calls"]), "mean_ms_after": round(now["mean_ms"], 3),
                    "share_pct_after": round(now["share_pct"], 1), "before": window,
                    "interval_reset": reset, "query": short_query(now.get("query"), 300)}
        if was is None or was["calls"] < t["min_calls"]:
            if now["share_pct"] >= t["new_heavy_pct"] and now["calls"] >= t["min_calls"]:
                yield Finding(
                    "regression", "warning",
                    f"New heavy statement: {now['share_pct']:.0f}% of statement time, not seen in the previous "
                    "interval", {"query_id": qid}, {**evidence, "kind": "new heavy statement",
                                                    "calls_before": int(was["calls"]) if was else 0},
                    "New load since the previous run (a deploy, a new job or feature): check it is expected, then "
                    f"read its plan (dbxray explain --query-id {qid}).", None)
            continue
        ratio = now["mean_ms"] / was["mean_ms"] if was["mean_ms"] > 0 else 0.0
        slower = now["calls"] >= t["min_calls"] and now["mean_ms"] >= t["min_mean_ms"] and ratio >= t["mean_ratio"]
        # a larger share alone is not a regression: it also grows when the rest of the workload stops; and
        # under min_mean_ms per call a 1.5x ratio is the timer's noise (0.01 -> 0.016 ms between two runs)
        jumped = now["share_pct"] - was["share_pct"] >= t["share_jump_pct"] and ratio >= t["share_jump_ratio"] \
            and now["calls"] >= t["min_calls"] and now["mean_ms"] >= t["min_mean_ms"]
        if not (slower or jumped):
            continue
        evidence.update({"calls_before": int(was["calls"]), "mean_ms_before": round(was["mean_ms"], 3),
                         "share_pct_before": round(was["share_pct"], 1), "ratio": round(ratio, 2),
                         "kind": "slower per call" if slower else "larger share of the time"})
        title = (f"Statement regressed: {ratio:.1f}x slower per call ({was['mean_ms']:,.2f} → "
                 f"{now['mean_ms']:,.2f} ms)" if slower else
                 f"Statement's share of time jumped from {was['share_pct']:.0f}% to {now['share_pct']:.0f}%")
        yield Finding(
            "regression", "critical" if slower and ratio >= 10 and now["share_pct"] >= 20 else "warning",
            title, {"query_id": qid}, evidence,
            f"It got worse since the previous run: compare its plan now (dbxray explain --query-id {qid}) with the "
            "plan it had; look for a dropped or unused index, statistics gone stale after a bulk load, data grown "
            "past a plan's tipping point, or a new parameter distribution.", None)


def _key_usage(snap: Any) -> dict[tuple, dict[str, Any]]:
    """Every integer key's usage (sequences, AUTO_INCREMENT): the engine's own sequence_exhaustion check,
    asked with no threshold, so the column-type limits are computed exactly as it does."""
    info = next((i for i in checks_for(snap.engine) if i.id == "sequence_exhaustion"), None)
    if info is None:
        return {}
    thresholds = {**info.thresholds, "info_pct": 0.0}
    out = {}
    for f in info.func(snap, thresholds):
        e = f.evidence
        used = e.get("last_value", e.get("next_value"))
        limit = e.get("limit", e.get("max_value"))
        if used is not None and limit:
            out[tuple(sorted((k, str(v)) for k, v in f.object.items()))] = {"object": f.object, "used": float(used),
                                                                           "limit": float(limit), "sql": f.sql}
    return out


@check("growth", "capacity", min_days=0.01, table_min_bytes_per_day=1073741824, table_min_pct_per_day=5.0,
       warn_days=90.0, critical_days=30.0)
def growth(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """How fast tables grow and when integer keys run out, measured between two runs.

    Why: "the sequence is at 40 %" says little; "at this rate it runs out on 14 March" is what gets
    a migration planned. Keys (sequences, AUTO_INCREMENT) that will be exhausted within
    ``warn_days`` at the measured rate are reported (critical within ``critical_days``); tables
    growing at least ``table_min_bytes_per_day`` and ``table_min_pct_per_day`` are reported as
    info with their rate. Runs closer together than ``min_days`` are too short to extrapolate.
    Fix: migrate the key to bigint before the date (the SQL); for tables, partitioning, archiving
    or retention, and disk for the projected size.
    """
    prev = snap.previous
    if prev is None:
        return
    days = (snap.collected_at - prev.collected_at).total_seconds() / DAY
    if days < t["min_days"]:
        return
    before = _key_usage(prev)
    for key, now in _key_usage(snap).items():
        was = before.get(key)
        if was is None:
            continue
        rate = (now["used"] - was["used"]) / days
        if rate <= 0:  # unused in the interval, or reset: no projection (never a negative rate)
            continue
        left = now["limit"] - now["used"]
        days_left = left / rate
        if days_left > t["warn_days"]:
            continue
        import datetime as dt

        when = snap.collected_at + dt.timedelta(days=days_left)
        obj = now["object"]
        name = obj.get("sequence") or obj.get("table")
        yield Finding(
            "growth", "critical" if days_left <= t["critical_days"] else "warning",
            f"{name} runs out of key values in about {days_left:,.0f} days (around {when:%Y-%m-%d}) at "
            f"{rate:,.0f} values a day", dict(obj),
            {"values_per_day": round(rate, 1), "values_left": int(left), "days_left": round(days_left, 1),
             "exhausted_around": when.date().isoformat(), "measured_over_days": round(days, 3)},
            "Migrate the key to bigint before that date (the column type change rewrites the table: plan it, or "
            "migrate online to a new bigint column and swap).", now["sql"])
    old_tables = {(r["schema"], r["table"]): r for r in records(prev["tables"])}
    for r in records(snap["tables"]):
        was = old_tables.get((r["schema"], r["table"]))
        size, old_size = float(r.get("total_bytes") or 0), float((was or {}).get("total_bytes") or 0)
        if was is None or old_size <= 0 or size <= old_size:
            continue
        per_day = (size - old_size) / days
        pct = 100.0 * per_day / old_size
        if per_day < t["table_min_bytes_per_day"] or pct < t["table_min_pct_per_day"]:
            continue
        yield Finding(
            "growth", "info", f"{r['table']} grows {human_bytes(per_day)} a day ({pct:.0f}% a day)",
            {"schema": r["schema"], "table": r["table"]},
            {"bytes_per_day": int(per_day), "pct_per_day": round(pct, 1), "total_bytes": int(size),
             "in_30_days": human_bytes(size + 30 * per_day), "measured_over_days": round(days, 3)},
            "Plan for it: retention or archiving of old rows, partitioning by time, and disk for the projected size.",
            None)
