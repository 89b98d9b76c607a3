"""One ``missing_index`` finding: the index, the statements it helps, and how sure we are."""

from __future__ import annotations

import math
from typing import Any

from dbxray.engines.postgres.advisor.candidates import Candidate
from dbxray.engines.postgres.advisor.catalog import TableInfo
from dbxray.findings import Finding

PARTITIONED_NOTE = (
    " The table is partitioned: CREATE INDEX CONCURRENTLY is not possible on a partitioned parent, so this "
    "plain CREATE INDEX blocks writes to every partition while it builds. To avoid that, create the index "
    "CONCURRENTLY on each partition, then CREATE INDEX ON ONLY the parent and ALTER INDEX … ATTACH PARTITION "
    "each partition's index.")


def missing_index_finding(cand: Candidate, info: TableInfo, rows: list[Any], work: Any, proven: bool,
                          enable: str | None, hypopg_calls: int, write_heavy: bool, bar: float,
                          calls: tuple[int, int] = (0, 0)) -> Finding:
    rows = sorted(rows, key=lambda r: (r.stmt.source != "user", -(r.stmt.total_ms or 0)))
    total_ms = sum(r.stmt.total_ms or 0.0 for r in rows)
    share = 100 * total_ms / work.total_ms if work.total_ms else None
    before = sum(r.before for r in rows)
    after = sum(r.after for r in rows) if proven else None
    cut = 1 - after / before if proven and before else None
    cols = ", ".join(cand.columns)
    where = f"{info.schema}.{info.name}"
    evidence: dict[str, Any] = {
        "proven": proven,
        "method": "hypopg" if proven else "statistics",
        "query_ids": [r.stmt.label for r in rows],
        "calls": [r.stmt.calls for r in rows],
        "statement_total_ms": [_round(r.stmt.total_ms) for r in rows],
        "total_ms": _round(total_ms),
        "share_pct": _round(share),
        "cost_before": [_round(r.before) for r in rows],
        "cost_after": [_round(r.after) for r in rows] if proven else None,
        "cost_cut_pct": _round(100 * cut) if cut is not None else None,
        "hypopg_calls": hypopg_calls,
        "include": list(cand.include) or None,
        "table_rows": int(info.rows),
        "write_heavy": write_heavy,
        "write_calls": calls[0],
        "read_calls": calls[1],
        "partitioned": info.partitioned or None,
    }
    n = len(rows)
    if proven:
        title = f"Missing index on {where} ({cols}): {n} statement(s) {_pct(cut)} cheaper"
        advice = (f"Create this index: with it the planner's estimated cost of {n} statement(s) drops by "
                  f"{_pct(cut)} ({before:,.0f} -> {after:,.2f})")
        if total_ms:
            advice += f"; they took {total_ms:,.0f} ms in total" + (f" ({share:.1f}% of all statement time)"
                                                                   if share is not None else "")
        advice += ". Proven with HypoPG hypothetical indexes: the planner uses it (nothing was created)."
    else:
        title = f"Possibly missing index on {where} ({cols}) (unproven)"
        advice = (f"Suggested from the predicates of {n} statement(s) and the column statistics only: today's plan "
                  f"reads {where} ({int(info.rows):,} rows) with a sequential scan, and this index narrows the "
                  f"lookup. Not proven: {enable}.")
    if cand.include:
        advice += (f" INCLUDE ({', '.join(cand.include)}) lets the planner answer from the index alone "
                   "(an index-only scan) once the table has been vacuumed.")
    if write_heavy:
        advice += (f" The table is write-heavy ({calls[0]:,} writing vs {calls[1]:,} reading statement calls): every "
                   f"INSERT and non-HOT UPDATE must also maintain this index, so the bar was raised to a "
                   f"{100 * bar:.0f}% cost cut.")
    if info.partitioned:
        advice += PARTITIONED_NOTE
    else:
        advice += " CONCURRENTLY builds it without blocking writes (slower; not inside a transaction block)."
    severity = "warning" if proven and not write_heavy else "info"
    ids = [r.stmt.query_id for r in rows if r.stmt.query_id]
    return Finding(
        check="missing_index",
        severity=severity,
        title=title,
        object={"schema": info.schema, "table": info.name, "columns": list(cand.columns),
                "query_id": ids[0] if ids else None},
        evidence=evidence,
        recommendation=advice,
        sql=cand.ddl(concurrently=not info.partitioned) + ";",
    )


def _pct(fraction: float) -> str:
    """99.6% stays 99.6% (never a rounded-up "100%": the statement still costs something)."""
    pct = 100 * fraction
    return f"{pct:.0f}%" if pct < 99.5 else f"{min(pct, 99.9):.1f}%"


def _round(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 2)
