"""``dbxray indexes`` on PostgreSQL: collect the workload, advise, optionally verify, shape the summary."""

from __future__ import annotations

from typing import Any

from dbxray.engine import IndexAdvice

# what the PostgreSQL advisor reads from the collectors; everything else it asks for per table
COLLECTORS = {"statements", "statements_info"}


def index_advice(session: Any, queries: list[str], config: Any, verify: bool, progress: Any,
                 show_values: bool = False) -> IndexAdvice:
    from dbxray.collect import run_collectors
    from dbxray.engines.postgres.advisor.advise import advise

    snap = run_collectors(session, only=COLLECTORS, progress=progress)
    progress("advising")
    advice = advise(session, snap, queries, config=config)
    notes: list[str] = []
    if verify and advice.findings:
        from dbxray.engines.postgres.advisor.verify import hide_sample_values, verify_findings

        verify_findings(session, advice.findings, advice.helped)
        if not show_values:
            hide_sample_values(advice.findings)
            notes.append("--verify filled the statements' parameters with real values of their columns (pg_stats): "
                         "they are hidden here; --show-values shows them")
    elif verify:
        notes.append("--verify: nothing to verify, no index is proposed")
    summary = {"advisor": advice.summary, "statements": _helped_rows(advice)}
    return IndexAdvice(advice.findings, snap, [*advice.notes, *notes], summary)


def _helped_rows(advice) -> list[dict]:
    """The pg_stat_statements statements the advice helps, for the report's statements table."""
    total = sum(s.total_ms or 0.0 for s in advice.statements if s.source != "user")
    seen, rows = set(), []
    for stmts in advice.helped:
        for s in stmts:
            if id(s) in seen or s.source == "user" or not s.calls:
                continue
            seen.add(id(s))
            rows.append({"query_id": s.label, "calls": s.calls, "total_ms": s.total_ms,
                         "share_pct": 100 * (s.total_ms or 0.0) / total if total else 0.0,
                         "mean_ms": (s.total_ms or 0.0) / s.calls, "query": " ".join(s.text.split())[:500]})
    return sorted(rows, key=lambda r: -(r["total_ms"] or 0))
