"""The statement that drives an N+1 loop, from the statistics alone: a parent returned about one row per
call of the child lookup, and ran far fewer times (each call of it starts a loop).

Engine-neutral: it reads the ranked statement rows both engines' summaries produce (``queryid``,
``calls``, ``rows``, ``query``, ``total_ms``). The batched form of the child is each engine's
(:mod:`dbxray.engines.postgres.parents`, :mod:`dbxray.engines.mysql.parents`).
"""

from __future__ import annotations

from typing import Any

MAX_PARENT_CALL_RATIO = 0.2  # the parent runs at most one call for five lookups (a loop of five or more)
ROWS_RATIO = (0.5, 2.0)  # its rows per child call: about one (some items may be skipped or fetched twice)


def likely_parent(rows: list[dict[str, Any]], child: dict[str, Any], max_call_ratio: float = MAX_PARENT_CALL_RATIO,
                  rows_ratio: tuple[float, float] = ROWS_RATIO) -> tuple[dict[str, Any], float] | None:
    """(parent row, its rows per child call) for the best-matching parent, or None.

    A statement is a candidate when it ran at most ``max_call_ratio`` times as often as the child and
    returned between ``rows_ratio`` rows per child call in total; among candidates the ratio closest to
    one wins, then the one with the fewest calls (one listing page rather than a frequent lookup)."""
    calls = float(child.get("calls") or 0)
    if calls <= 0:
        return None
    best: tuple[dict[str, Any], float] | None = None
    for p in rows:
        if p is child or str(p.get("queryid")) == str(child.get("queryid")):
            continue
        pcalls = float(p.get("calls") or 0)
        if not pcalls or pcalls > max_call_ratio * calls:
            continue
        ratio = float(p.get("rows") or 0) / calls
        if not rows_ratio[0] <= ratio <= rows_ratio[1]:
            continue
        if best is None or (abs(1 - ratio), pcalls) < (abs(1 - best[1]), float(best[0].get("calls") or 0)):
            best = (p, ratio)
    return best


def parent_evidence(parent: tuple[dict[str, Any], float] | None, child_calls: float) -> dict[str, Any]:
    """The evidence keys an ``n_plus_one`` finding carries for its parent (empty without one)."""
    from dbxray.checks.helpers import short_query

    if parent is None:
        return {}
    p, ratio = parent
    return {"parent_query_id": str(p["queryid"]), "parent_calls": int(p.get("calls") or 0),
            "parent_rows": int(p.get("rows") or 0), "parent_rows_per_lookup": round(ratio, 2),
            "loop_size": round(float(child_calls) / float(p.get("calls") or 1), 1),
            "parent_query": short_query(p.get("query"), 200)}


def batched_evidence(snap: Any, rows: list[dict[str, Any]], row: dict[str, Any], table: str,
                     columns: Any) -> dict[str, Any]:
    """The evidence an ``n_plus_one`` finding gains, whatever the engine: the parent (``parent_query_id``,
    ``parent_calls``, ``loop_size``, …) and the lookup's batched forms (``batched_query``: the keys as one
    array / IN list; ``batched_join``: the parent joined to the table), from the engine's own
    ``dbxray.engines.<name>.parents.n_plus_one_extras(snap, rows, row, table, columns)``. Never raises: an
    engine without it, or a statement it cannot rewrite, adds nothing."""
    import importlib

    try:
        module = importlib.import_module(f"dbxray.engines.{snap.engine}.parents")
        return module.n_plus_one_extras(snap, rows, row, table, list(columns or ()))
    except Exception:  # evidence is a bonus: the finding stands without it
        return {}


__all__ = ["batched_evidence", "likely_parent", "parent_evidence"]
