"""Proof for one given index (e.g. the ``missing_fk_index`` check's): does the planner use it, and
how much cheaper do the given statements get? Same method as the advisor, for one candidate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dbxray.engines.postgres.advisor.candidates import Candidate
from dbxray.engines.postgres.advisor.hypo import hypopg_state, hypothetical, plan_cost


def prove_index(session: Any, schema: str, table: str, columns: Iterable[str], statements: Iterable[Any],
                min_improvement: float = 0.5) -> dict[str, Any]:
    """Evidence for ``CREATE INDEX ON schema.table (columns)`` against ``statements``.

    ``statements`` are SQL strings or dicts with ``query`` (and optionally ``query_id``).
    Returns ``{"proven": bool, "method": ..., "query_ids", "cost_before", "cost_after",
    "hypopg_calls", ...}``; without HypoPG, ``proven`` is False and ``enable_proof`` says how.
    """
    stmts = [s if isinstance(s, dict) else {"query": s} for s in statements]
    state = hypopg_state(session)
    if not state.usable:
        return {"proven": False, "method": "none", "reason": state.reason,
                "enable_proof": state.how_to_enable(session.version_num // 10000)}
    cand = Candidate(schema, table, tuple(columns), n_eq=len(tuple(columns)))
    partitioned = session.scalar("SELECT c.relkind = 'p' FROM pg_class c JOIN pg_namespace n ON n.oid = "
                                 "c.relnamespace WHERE n.nspname = %s AND c.relname = %s", (schema, table))
    rows = []
    with hypothetical(session, state.schema or "public") as hypo:
        befores = [_try_plan(session, s["query"], bool(partitioned)) for s in stmts]
        names = hypo.ensure([cand], {cand.key})
        afters = [_try_plan(session, s["query"], bool(partitioned)) for s in stmts]
        calls = hypo.calls + 1  # and the reset on the way out
    for s, before, after in zip(stmts, befores, afters):
        row: dict[str, Any] = {"query_id": str(s.get("query_id") or "") or None}
        if isinstance(before, str) or isinstance(after, str):
            row["error"] = before if isinstance(before, str) else after
        else:
            row.update(cost_before=round(before.cost, 2), cost_after=round(after.cost, 2),
                       uses_index=any(n in names for n in after.indexes))
            row["proven"] = bool(row["uses_index"] and after.cost <= (1 - min_improvement) * before.cost)
        rows.append(row)
    ok = [r for r in rows if "error" not in r]
    return {
        "proven": any(r["proven"] for r in ok),
        "method": "hypopg",
        "query_ids": [r["query_id"] for r in ok],
        "cost_before": [r["cost_before"] for r in ok],
        "cost_after": [r["cost_after"] for r in ok],
        "statements": rows,
        "hypopg_calls": calls,
    }


def statements_using(session: Any, snap: Any, schema: str, table: str, columns: Iterable[str],
                     limit: int = 5) -> list[dict[str, Any]]:
    """The heaviest workload statements that filter or join ``schema.table`` on the first of ``columns``
    (what to hand to :func:`prove_index` for a ``missing_fk_index`` finding)."""
    from dbxray.engines.postgres.advisor.catalog import Catalog
    from dbxray.engines.postgres.advisor.parse import analyze, parse, relation_names
    from dbxray.engines.postgres.advisor.workload import from_snapshot

    lead = next(iter(columns), None)
    work = from_snapshot(snap, max_statements=500)
    catalog = Catalog(session)
    nodes = []
    for s in work.statements:
        try:
            nodes.append((s, parse(s.text)))
        except ValueError:
            continue
    catalog.load(set().union(*(relation_names(n) for _, n in nodes)) if nodes else set())
    out = []
    for s, node in nodes:
        parsed = analyze(node, s.text, catalog.resolve)
        if any(a.key == (schema, table) and any(u.column == lead and u.kind in ("eq", "in", "join") for u in a.uses)
               for a in parsed.accesses):
            out.append({"query": s.text, "query_id": s.query_id})
        if len(out) >= limit:
            break
    return out


def _try_plan(session: Any, sql: str, partitioned: bool) -> Any:
    try:
        return plan_cost(session, sql, partitioned)
    except Exception as exc:
        return "cannot plan: " + " ".join(str(exc).split())[:160]
