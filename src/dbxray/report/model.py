"""The Report: findings + summary + collection status, shaped by the report contract."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dbxray import __version__
from dbxray.findings import Finding, jsonable, sort_findings

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

    def add(self, findings: list[Finding]) -> None:
        self.findings = sort_findings([*self.findings, *findings])

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
            "findings": [f.to_dict() for f in self.findings],
        }
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


def build_report(snapshot: Any, config: Any, baseline: Any = None) -> Report:
    """Summaries and rule findings for a snapshot (over the interval since ``baseline`` if given)."""
    from dbxray import summary as summ
    from dbxray.checks import run_checks
    from dbxray.notes import capability_notes, incomplete_reasons

    snap = snapshot
    interval = None
    if baseline is not None:
        snap = interval_snapshot(snapshot, baseline)
        interval = snap.meta.get("interval")
    result = run_checks(snap, config)
    top_n = int(config.report_option("top_statements", 10))
    stmts = summ.statements(snap["statements"])
    summary: dict[str, Any] = {
        "database": summ.overview(snap),
        "statements": _statement_rows(stmts.head(top_n)),
        "tables": _table_rows(summ.tables(snap["tables"]).head(top_n)),
    }
    if interval:
        summary["interval"] = interval
    report = Report(
        kind="report",
        target=target_of(snapshot),
        collected_at=snapshot.collected_at,
        summary=summary,
        collection=collection_of(snapshot, result.runs),
        notes=capability_notes(snapshot),
        incomplete=incomplete_reasons(snapshot),
    )
    report.add(result.findings)
    return report


def interval_snapshot(new: Any, old: Any) -> Any:
    """A copy of ``new`` whose cumulative statement counters cover only the time since ``old``."""
    from dbxray import summary as summ
    from dbxray.errors import BadInput
    from dbxray.snapshot import Snapshot

    if (new.engine, new.database, new.host) != (old.engine, old.database, old.host):
        raise BadInput(f"baseline is from {old.engine} {old.host}/{old.database}, "
                       f"not {new.engine} {new.host}/{new.database}")
    if old.collected_at >= new.collected_at:
        raise BadInput("baseline snapshot is not older than the current one")
    frames = dict(new.frames)
    frames["statements"] = summ.delta(new["statements"], old["statements"], summ.STATEMENT_KEY,
                                      summ.STATEMENT_COUNTERS)
    seconds = (new.collected_at - old.collected_at).total_seconds()
    meta = {**new.meta, "interval": {"from": old.collected_at.isoformat(), "to": new.collected_at.isoformat(),
                                     "seconds": round(seconds, 1)}}
    return Snapshot(new.engine, new.server_version, new.version_num, new.database, new.host,
                    new.collected_at, frames, new.collectors, meta, new.duration_ms)


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
