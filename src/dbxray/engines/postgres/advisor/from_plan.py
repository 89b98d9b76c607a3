"""A plan's index suggestion, handed to the index advisor: proven with HypoPG, or left as the plan's
own measured evidence with the advisor's reason attached."""

from __future__ import annotations


def prove_plan_suggestions(session, statement: str, findings: list) -> list:
    """Hand the plan's index suggestions to the index advisor: its proven index (HypoPG, ORDER BY and
    selectivity aware) replaces the plan heuristic on the same table, keeping the node it is about."""
    import datetime as dt

    from dbxray.engines.postgres.advisor import advise_postgres
    from dbxray.snapshot import Snapshot

    snap = Snapshot("postgres", session.server_version, session.version_num, session.database,
                    session.target.host, dt.datetime.now(dt.UTC))
    try:
        advised = advise_postgres(session, snap, extra_queries=[statement])
    except Exception as exc:  # the heuristic stays; say why it was not proven
        for f in findings:
            if f.check == "missing_index":
                f.evidence["advisor"] = f"not consulted: {exc.__class__.__name__}: {exc}"
        return findings
    # only a proven index beats the plan's own, measured evidence; an unproven advisor guess does not
    by_table = {(a.object.get("schema"), a.object.get("table")): a for a in advised if a.evidence.get("proven")}
    out = []
    for f in findings:
        better = by_table.pop((f.object.get("schema"), f.object.get("table")), None) \
            if f.check == "missing_index" else None
        if better is None:
            if f.check == "missing_index":
                unproven = next((a for a in advised if not a.evidence.get("proven")), None)
                f.evidence.setdefault("advisor", unproven.recommendation if unproven else
                                      "the index advisor could not prove an index for this table")
            out.append(f)
            continue
        better.object.update({k: f.object[k] for k in ("node_id", "node_type", "relation") if k in f.object})
        better.evidence = {**better.evidence, "plan_evidence": {k: v for k, v in f.evidence.items()
                                                               if k in ("rows_read", "rows_kept", "removed_pct",
                                                                        "filter", "self_ms", "self_pct")}}
        out.append(better)
    return out + list(by_table.values())
