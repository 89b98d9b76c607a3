"""The Report: findings + summary + collection status, shaped by the report contract."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dbxray import __version__
from dbxray.findings import Finding, assign_ids, jsonable, sort_findings

SCHEMA_VERSION = "1.0"


@dataclass
class Report:
    kind: str  # "report" | "explain" | "indexes"
    target: dict[str, Any]
    collected_at: dt.datetime
    findings: list[Finding] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    collection: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the explain command's ``plan`` block
    incomplete: list[str] = field(default_factory=list)  # what made the report partial (non-zero exit)
    diagnosis: Any = None  # diagnose.Diagnosis: ranked bottlenecks (``report`` only)

    def add(self, findings: list[Finding]) -> None:
        self.findings = sort_findings([*self.findings, *findings])
        assign_ids(self.findings)

    def counts(self) -> dict[str, int]:
        out = {"critical": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        data = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "dbxray", "version": __version__},
            "kind": self.kind,
            "target": self.target,
            "collected_at": self.collected_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "collection": self.collection,
            "summary": {**self.summary, "findings": self.counts(), "notes": self.notes,
                        "incomplete": self.incomplete},
        }
        if self.diagnosis is not None:
            data["diagnosis"] = self.diagnosis.to_dict()
        data["findings"] = [f.to_dict() for f in self.findings]
        data.update(self.extra)
        return jsonable(data)


def target_of(snap: Any) -> dict[str, Any]:
    return {"engine": snap.engine, "flavor": snap.meta.get("flavor", snap.engine),
            "server_version": snap.server_version, "database": snap.database, "host": snap.host}


def collection_of(snap: Any, check_runs: list[Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "duration_ms": round(snap.duration_ms, 1),
        "collectors": [{k: v for k, v in c.to_dict().items() if k in ("name", "status", "duration_ms", "detail")}
                       for c in snap.collectors],
    }
    failed = [r for r in (check_runs or []) if r.status == "error"]
    if failed:
        data["check_errors"] = [{"check": r.id, "detail": r.detail} for r in failed]
    return data


def build_report(snapshot: Any, checked: Any, config: Any, findings: list[Finding], diagnosis: Any = None,
                 live: Any = None) -> Report:
    """The report document: the diagnosis, the findings, the summary (over the interval the checks
    saw), what the collection could not see, and how every stage ran."""
    from dbxray.report import summary as summ
    from dbxray.report.notes import capability_notes, incomplete_reasons

    seen = checked.snapshot
    top_n = int(config.report_option("top_statements", 10))
    stmts = checked.statements if checked.statements is not None else summ.statements(seen["statements"])
    summary: dict[str, Any] = {
        "database": summ.overview(seen),
        "statements": _statement_rows(stmts.head(top_n)),
        "tables": _table_rows(summ.tables(seen["tables"]).head(top_n)),
    }
    interval = seen.meta.get("interval")
    if interval:
        summary["interval"] = interval
    if len(stmts):  # the whole workload in one line: what the history charts plot run after run
        calls, total = float(stmts["calls"].sum()), float(stmts["total_ms"].sum())
        seconds = (interval or {}).get("seconds")
        summary["workload"] = {"statements": len(stmts), "calls": int(calls), "total_ms": round(total, 1),
                               "seconds": seconds, "calls_per_s": round(calls / seconds, 2) if seconds else None}
    report = Report(
        kind="report",
        target=target_of(snapshot),
        collected_at=snapshot.collected_at,
        summary=summary,
        collection=collection_of(snapshot, checked.runs),
        notes=capability_notes(snapshot),
        incomplete=incomplete_reasons(snapshot),
    )
    crashed = [r for r in checked.runs if r.status == "error"]
    if crashed:
        report.incomplete.append(f"{len(crashed)} check(s) crashed, so what they look at was not checked: "
                                 + "; ".join(f"{r.id} ({r.detail})" for r in crashed))
    if live is not None:
        if live.timings:
            report.collection["live_analysis"] = dict(live.timings)
        if live.errors:
            report.collection.setdefault("check_errors", []).extend(live.errors)
            report.incomplete.append("the live analysis failed in part: "
                                     + "; ".join(f"{e['check']} ({e['detail']})" for e in live.errors))
    report.add(findings)
    if diagnosis is not None:
        report.diagnosis = diagnosis
        report.collection["diagnosis_ms"] = round(diagnosis.duration_ms, 1)
        if diagnosis.error:
            report.incomplete.append(f"the diagnosis failed ({diagnosis.error}): findings are not ranked")
    return report


def _statement_rows(df: Any) -> list[dict[str, Any]]:
    cols = ["queryid", "query", "calls", "total_ms", "share_pct", "mean_ms", "max_ms", "rows_per_call",
            "hit_ratio", "temp_blks", "rows_examined_per_call"]
    rows = []
    for rec in df.to_dict("records"):
        row = {c: rec.get(c) for c in cols if c in rec}
        row["query_id"] = str(row.pop("queryid", ""))
        row["query"] = " ".join(str(row.get("query", "")).split())[:500]
        rows.append(row)
    return rows


def _table_rows(df: Any) -> list[dict[str, Any]]:
    cols = ["schema", "table", "total_bytes", "size_exact", "n_live_tup", "n_dead_tup", "seq_scan", "idx_scan",
            "writes", "seq_scan_pct", "hit_ratio"]
    return [{c: rec.get(c) for c in cols if c in rec} for rec in df.to_dict("records")]
