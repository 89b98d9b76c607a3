"""HypoPG proof of the ``json_unindexed_filter`` advice, while ``dbxray report``'s session is open.

An expression B-tree (``((attrs ->> 'status'))``) is created hypothetically and the statements that filter
on that expression are planned generically before and after, with the key put back in place of the
``$n`` pg_stat_statements left (the planner can only match an index expression to a literal key). GIN
indexes cannot be simulated by HypoPG: those findings keep ``proven: false`` and say so.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dbxray.findings import Finding

CHECK_ID = "json_unindexed_filter"


def with_literal(query: str, param: int, value: str) -> str:
    """``query`` with ``$param`` replaced by the string literal ``value`` and the later ``$n`` renumbered
    (a generic plan needs its parameters numbered from 1 without gaps)."""
    import pglast
    from pglast import ast
    from pglast.stream import RawStream

    from dbxray.engines.postgres.guard import walk_ast

    root = pglast.parse_sql(query)[0].stmt

    def fix(value_node: Any) -> Any:
        if isinstance(value_node, ast.ParamRef):
            if value_node.number == param:
                return ast.A_Const(val=ast.String(sval=value))
            if value_node.number > param:
                return ast.ParamRef(number=value_node.number - 1)
        return value_node

    for node in list(walk_ast(root)):
        for attr in node.__slots__:
            cur = getattr(node, attr, None)
            if isinstance(cur, ast.ParamRef):
                setattr(node, attr, fix(cur))
            elif isinstance(cur, (list, tuple)) and any(isinstance(x, ast.ParamRef) for x in cur):
                setattr(node, attr, type(cur)(fix(x) for x in cur))
    return RawStream()(root)


def prove_json_filters(session: Any, snap: Any, findings: list[Finding], min_improvement: float = 0.5
                       ) -> tuple[list[Finding], list[Finding]]:
    """(proven or explained copies, the rule findings they replace) for the expression-index advice."""
    from dbxray.engines.postgres.advisor.hypo import hypopg_state, hypothetical

    todo = [f for f in findings if f.check == CHECK_ID and f.evidence.get("method") == "btree" and f.sql
            and f.evidence.get("key") is not None]
    if not todo:
        return [], []
    state = hypopg_state(session)
    texts = {str(q): str(t) for q, t in zip(snap["statements"].get("queryid", []), snap["statements"].get("query", []))}
    out: list[Finding] = []
    for f in todo:
        evidence = dict(f.evidence)
        if not state.usable:
            evidence.update(proof=f"not proven: {state.reason}", enable_proof=state.how_to_enable(
                session.version_num // 10000))
            out.append(dataclasses.replace(f, evidence=evidence))
            continue
        ddl = f.sql.split(";")[0].replace("CREATE INDEX CONCURRENTLY", "CREATE INDEX", 1)
        plans = []
        for s in evidence.get("statements") or ():
            text = texts.get(str(s.get("query_id")))
            if not text:
                continue
            try:
                if s.get("param") is not None:
                    text = with_literal(text, int(s["param"]), str(evidence["key"]))
                plans.append({"query_id": s.get("query_id"), "text": text})
            except Exception as exc:  # a statement pglast cannot round-trip: left out of the proof, said so
                plans.append({"query_id": s.get("query_id"), "error": f"{exc.__class__.__name__}: {exc}"})
        rows = []
        with hypothetical(session, state.schema or "public") as hypo:
            befores = [_plan(session, p) for p in plans]
            created = session.rows(f"SELECT indexrelid::bigint AS oid, indexname FROM "
                                   f"{_fn(state.schema, 'hypopg_create_index')}(%s)", (ddl,))
            name = created[0]["indexname"] if created else None
            afters = [_plan(session, p) for p in plans]
            calls = hypo.calls + 2
        for p, before, after in zip(plans, befores, afters):
            row: dict[str, Any] = {"query_id": p.get("query_id")}
            if isinstance(before, str) or isinstance(after, str) or "error" in p:
                row["error"] = p.get("error") or (before if isinstance(before, str) else after)
            else:
                row.update(cost_before=round(before.cost, 2), cost_after=round(after.cost, 2),
                           uses_index=name in after.indexes)
                row["proven"] = bool(row["uses_index"] and after.cost <= (1 - min_improvement) * before.cost)
            rows.append(row)
        ok = [r for r in rows if "error" not in r]
        proven = any(r["proven"] for r in ok)
        evidence.update(proven=proven, method_of_proof="hypopg", proof_statements=rows,
                        cost_before=[r["cost_before"] for r in ok], cost_after=[r["cost_after"] for r in ok],
                        hypopg_calls=calls,
                        proof=("proven with HypoPG: the planner uses the expression index and the cost drops"
                               if proven else "not proven: the planner would not use the index, or gains too "
                               "little (see proof_statements)"))
        if ok and sum(r["cost_before"] for r in ok):
            cut = 100.0 * (1 - sum(r["cost_after"] for r in ok) / sum(r["cost_before"] for r in ok))
            evidence["cost_cut_pct"] = round(cut, 1)
        out.append(dataclasses.replace(f, evidence=evidence, id=""))
    return out, todo


def _fn(schema: str | None, name: str) -> str:
    from dbxray.engines.postgres.quoting import pg_ident

    return pg_ident(schema or "public", name)


def _plan(session: Any, p: dict[str, Any]) -> Any:
    from dbxray.engines.postgres.advisor.hypo import plan_cost

    if "error" in p:
        return p["error"]
    try:
        return plan_cost(session, p["text"])
    except Exception as exc:
        return "cannot plan: " + " ".join(str(exc).split())[:160]
