"""Statement checks every engine shares, over the statements view (``checks.frames``): statements
ranked by total time, from pg_stat_statements, performance_schema digests or the slow log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.frames import frames_of
from dbxray.checks.helpers import records, short_query
from dbxray.findings import Finding


@check("slow_query", "statements", mean_ms=20.0, min_calls=100, critical_mean_ms=1000.0, dominant_pct=30.0)
def slow_query(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements whose average time (planning + execution) is high and that run often.

    Why: a statement that takes ``mean_ms`` or more and runs at least ``min_calls`` times is
    where users wait; defaults follow PgHero (20 ms, 100 calls). One that takes more than
    ``dominant_pct`` of all statement time dominates the workload (postgres-checkup K003)
    and is critical whatever its mean.
    How sure: from MySQL's slow log only statements above ``long_query_time`` are seen, so
    the share is a share of the logged time.
    Fix: read its plan (``dbxray explain``); most often an index is missing (``dbxray indexes``).
    """
    frames = frames_of(snap)
    df, source = frames.statements(snap)
    for r in records(df):
        calls = r.get("calls") or 0
        mean = r.get("mean_ms") or 0.0
        share = r.get("share_pct") or 0.0
        dominant = share >= t["dominant_pct"] and calls >= t["min_calls"] and mean >= t["mean_ms"] / 4
        if not dominant and (calls < t["min_calls"] or mean < t["mean_ms"]):
            continue
        severity = "critical" if mean >= t["critical_mean_ms"] or dominant else "warning"
        why = f"{share:.0f}% of all statement time" if dominant else f"{mean:,.1f} ms per call"
        yield Finding(
            check="slow_query",
            severity=severity,
            title=f"Slow statement: {why} over {int(calls):,} calls",
            object=frames.statement_object(r),
            evidence={"calls": int(calls), "mean_ms": round(mean, 2), "max_ms": r.get("max_ms"),
                      "total_ms": round(r.get("total_ms") or 0, 1), "share_pct": round(share, 1),
                      "rows_per_call": r.get("rows_per_call"), **frames.statement_evidence(r, source),
                      "query": short_query(r.get("query"), 400)},
            recommendation=f"{frames.explain_hint(r)}, and `dbxray indexes` for an index that serves it.",
            sql=None,
        )


def _parent(rows: list[dict[str, Any]], lookup: dict[str, Any], calls: float) -> dict[str, Any] | None:
    """The statement that returned about as many rows in total as the lookup was called (and was
    called at least five times less): the likely loop that drives it."""
    parent = None
    for p in rows:
        if p is lookup or not p.get("calls") or p["calls"] * 5 > calls:
            continue
        ratio = (p.get("rows") or 0) / calls
        if 0.5 <= ratio <= 2.0 and (parent is None or abs(1 - ratio) < abs(1 - parent[1])):
            parent = (p, ratio)
    return parent[0] if parent else None


@check("n_plus_one", "statements", min_calls=1000, max_rows_per_call=1.5, max_mean_ms=5.0,
       min_share_of_calls_pct=10.0)
def n_plus_one(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """A tiny single-row lookup run thousands of times: the signature of an N+1 query pattern.

    Why: the application fetches a list, then one row per item (``SELECT … WHERE id = ?``)
    in a loop. Each call is fast, but the round trips add up and scale with the data.
    Reported when such a lookup (one table, equality on parameters, at most
    ``max_rows_per_call`` rows, under ``max_mean_ms``) has at least ``min_calls`` calls and
    ``min_share_of_calls_pct`` of all statement calls. When another statement returned
    about as many rows in total as this one was called, it is named as the likely parent.
    Fix: fetch the rows in one statement (``WHERE id = ANY(…)`` / ``IN (…)``, a JOIN, or the
    ORM's eager loading).
    """
    frames = frames_of(snap)
    df, source = frames.statements(snap)
    if df.empty:
        return
    total_calls = float(df["calls"].sum() or 0)
    rows = list(records(df))
    for r in rows:
        calls = float(r.get("calls") or 0)
        if calls < t["min_calls"] or not total_calls:
            continue
        if (r.get("rows_per_call") or 0) > t["max_rows_per_call"] or (r.get("mean_ms") or 0) > t["max_mean_ms"]:
            continue
        share = 100.0 * calls / total_calls
        if share < t["min_share_of_calls_pct"]:
            continue
        shape = frames.single_row_lookup(snap, r)
        if not shape:
            continue
        table, cols = shape
        facts = {"calls": calls, "share_pct": share, "table": table, "columns": cols,
                 "parent": _parent(rows, r, calls), "source": source}
        finding = frames.n_plus_one_text(r, facts).finding("n_plus_one", "warning")
        from dbxray.checks.parents import batched_evidence  # the batched statement (ANY / IN, JOIN)

        extra = batched_evidence(snap, rows, r, table, cols)
        finding.evidence.update({k: v for k, v in extra.items() if k not in finding.evidence})
        if extra.get("batched_query"):
            finding.recommendation += f" Batched: {extra['batched_query']}"
        yield finding
