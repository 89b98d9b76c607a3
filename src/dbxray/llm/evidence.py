"""The evidence document: one JSON object, every item with a string ``id``, nothing unredacted.

Built from the report (its findings) and the snapshot (statements, tables, indexes, settings), in
the shape ``docs/llm.md`` documents. The diagnosis is recomputed from the redacted findings, so
the causes it quotes (a blocker's last statement, a slow statement) carry normalized text only.
The document is trimmed, least important items first, until the whole request fits
``max_input_tokens`` (estimated offline: :data:`CHARS_PER_TOKEN`); what was cut is counted in
``omitted`` so the model knows the evidence is partial.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from dbxray.llm.redact import Redactor, host_alias

# one token per 3 characters of compact JSON: a conservative figure for JSON and SQL (English prose
# runs near 4), so the real count stays under the estimate; no tokenizer is needed offline
CHARS_PER_TOKEN = 3.0
TOP_STATEMENTS = 10
TOP_TABLES = 10
PER_CHECK = 10  # findings of one check beyond this (outside a bottleneck) are counted, not listed

BOTTLENECK_FIELDS = ("kind", "severity", "title", "cause", "impact", "confidence", "finding_ids")
# human strings that repeat a number the same evidence carries (size beside size_bytes, ...)
REDUNDANT = {"size": ("size_bytes", "real_bytes", "total_bytes"), "temp_written_per_call": ("temp_bytes_written",)}

TABLE_FIELDS = ("total_bytes", "n_live_tup", "rows_estimate", "n_dead_tup", "n_mod_since_analyze", "seq_scan",
                "idx_scan", "n_tup_upd", "n_tup_hot_upd", "free_bytes", "engine", "has_primary_key",
                "last_autovacuum", "last_autoanalyze", "reloptions")
INDEX_FIELDS = ("columns", "is_unique", "is_primary", "is_valid", "method", "idx_scan", "index_bytes",
                "cardinality", "predicate", "expressions")
FLAGS = {"is_unique": ("unique", False), "is_primary": ("primary", False), "is_valid": ("invalid", True)}
STATEMENT_FIELDS = ("calls", "total_ms", "share_pct", "mean_ms", "max_ms", "rows_per_call", "hit_ratio",
                    "temp_blks", "rows_examined_per_call")


@dataclass
class Evidence:
    """The document, its serialized text, and what grounding checks against."""

    document: dict[str, Any]
    text: str
    ids: set[str]
    tables: set[tuple[str, str]]  # every table of the snapshot, not only those in the document
    indexes: set[tuple[str, str, str]]
    omitted: dict[str, int] = field(default_factory=dict)
    build_ms: float = 0.0
    redactor: Redactor | None = None  # its aliases map the model's host-… names back (locally)
    rule_ids: dict[str, str] = field(default_factory=dict)  # natural id as sent -> the report's finding id


def estimate_tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def build_evidence(report: Any, snapshot: Any, statement_rows: list[dict[str, Any]],
                   budget_chars: int | None = None) -> Evidence:
    """The evidence of ``report`` (rule findings and diagnosis) and ``snapshot``, redacted, within
    ``budget_chars`` of serialized JSON (None: no limit)."""
    started = time.monotonic()
    red = Redactor(snapshot.engine, snapshot.host)
    findings = [f for f in report.findings if getattr(f, "source", "rules") != "llm"]
    safe_findings = [_redacted_finding(red, f) for f in findings]
    safe_rows = [{**r, "query": red.sql(r.get("query"))} for r in statement_rows]
    diagnosis = _diagnosis(safe_findings, safe_rows)
    parts = _Parts(report, snapshot, red, safe_findings, safe_rows, diagnosis)
    document, omitted = parts.fit(budget_chars)
    text = _dumps(document)
    from dbxray.findings import natural_id

    rule_ids = {natural_id(safe): f.id for safe, f in zip(safe_findings, findings)}
    return Evidence(document, text, _ids(document), parts.all_tables, parts.all_indexes, omitted,
                    (time.monotonic() - started) * 1000, red, rule_ids)


def statement_rows(snapshot: Any, baseline: Any = None) -> list[dict[str, Any]]:
    """The statements the diagnosis ranked (all of them, over the interval when there is a baseline),
    as the pipeline hands them to ``diagnose``."""
    from dbxray.report import summary

    seen = summary.interval_snapshot(snapshot, baseline) if baseline is not None else snapshot
    frame = summary.statements(seen["statements"])
    cols = [c for c in ("queryid", "query", "calls", "total_ms", "share_pct", "mean_ms", "max_ms", "rows_per_call",
                        "hit_ratio", "temp_blks", "rows_examined_per_call") if c in frame.columns]
    return frame[cols].to_dict("records") if len(frame) else []


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _cost(document: dict[str, Any]) -> int:
    """Characters the model reads (the document is a string of the body: its escapes are not tokens)."""
    return len(_dumps(document))


def _ids(document: dict[str, Any]) -> set[str]:
    ids = {document["database"]["id"]}
    for key in ("findings", "statements", "tables", "indexes", "settings"):
        ids.update(item["id"] for item in document.get(key, []))
    ids.update(b["id"] for b in document["diagnosis"]["bottlenecks"])
    return ids


def _redacted_finding(red: Redactor, f: Any) -> Any:
    """The finding as it may leave: its object names and id without host names (MySQL accounts), its
    texts through the prose door, its evidence by key, its SQL normalized."""
    from dbxray.findings import Finding, jsonable

    obj = {k: red.hosts(v) if isinstance(v, str) else v for k, v in f.object.items()}
    return Finding(f.check, f.severity, red.prose(f.title), obj, red.record(jsonable(f.evidence)),
                   red.prose(f.recommendation), red.sql(f.sql, 600) if f.sql else None, f.source, red.hosts(f.id))


def _diagnosis(findings: list[Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    from dbxray.diagnose import diagnose
    from dbxray.findings import jsonable

    diag = jsonable(diagnose(findings, rows).to_dict())
    bottlenecks = []
    for b in diag["bottlenecks"]:  # rank is in the id and the order; the findings carry the objects
        item = {"id": f"bottleneck:{b['rank']}", **{k: b[k] for k in BOTTLENECK_FIELDS if b.get(k) is not None}}
        item["fix"] = {k: v for k, v in b["fix"].items() if v}
        bottlenecks.append(item)
    objects = [b["object"] for b in diag["bottlenecks"]]
    return {"summary": diag["summary"], "bottlenecks": bottlenecks, "objects": objects}


def _round(value: Any) -> Any:
    from dbxray.findings import jsonable

    value = jsonable(value)
    if isinstance(value, float):
        return round(value, 3) if abs(value) < 1 else round(value, 2) if abs(value) < 100 else round(value, 1)
    return value


def _hours_ago(value: Any, now: Any) -> float | None:
    import pandas as pd

    try:
        then, at = pd.Timestamp(value), pd.Timestamp(now)
        if then.tzinfo is None:
            then = then.tz_localize("UTC")
        if at.tzinfo is None:
            at = at.tz_localize("UTC")
        hours = (at - then).total_seconds() / 3600
    except (TypeError, ValueError):
        return None
    return round(hours, 1) if hours == hours else None


def _key(schema: Any, table: Any) -> tuple[str, str]:
    return (str(schema or ""), str(table or ""))


class _Parts:
    """The document's sections, built once, then assembled smaller and smaller until it fits."""

    def __init__(self, report: Any, snapshot: Any, red: Redactor, findings: list[Any],
                 rows: list[dict[str, Any]], diagnosis: dict[str, Any]):
        self.red = red
        self.snapshot = snapshot
        self.diagnosis = diagnosis
        chained = {fid for b in diagnosis["bottlenecks"] for fid in b["finding_ids"]}
        self.chained = chained
        self.referenced_tables = self._referenced_tables(findings, diagnosis)
        self.referenced_queries = {str(f.object["query_id"]) for f in findings if f.object.get("query_id")}
        self.referenced_queries |= {str(o["query_id"]) for o in diagnosis["objects"] if o.get("query_id")}
        self.referenced_settings = {str(f.object["setting"]) for f in findings if f.object.get("setting")}
        self.referenced: dict[str, bool] = {}  # table and index ids -> named by a finding or bottleneck
        self.shown_tables: set[tuple[str, str]] = set()
        self.database = self._database(report, snapshot)
        self.statements = self._statements(rows)
        self.listed_queries = {x["id"].partition(":")[2]: x for x in self.statements}
        self.findings = self._findings(findings, chained)
        self.tables, self.all_tables = self._tables()
        self.indexes, self.all_indexes = self._indexes()
        self.settings = self._settings()

    # -- sections ----------------------------------------------------------------------------------
    def _database(self, report: Any, snapshot: Any) -> dict[str, Any]:
        overview = report.summary.get("database") or {}
        data = {"id": "database", "engine": snapshot.engine, "flavor": snapshot.meta.get("flavor", snapshot.engine),
                "server_version": snapshot.server_version, "database": snapshot.database,
                "host": host_alias(snapshot.host)}
        for key in ("size_bytes", "cache_hit_ratio", "connections", "max_connections", "temp_files", "temp_bytes",
                    "deadlocks", "stats_age_days"):
            if overview.get(key) is not None:
                data[key] = _round(overview[key])
        interval = report.summary.get("interval")
        if interval:
            data["interval_seconds"] = interval.get("seconds")
        if report.incomplete:
            data["incomplete"] = [self.red.prose(r) for r in report.incomplete]
        return data

    def _findings(self, findings: list[Any], chained: set[str]) -> list[dict[str, Any]]:
        """Findings worst first, those of a bottleneck chain first of all; per check at most
        :data:`PER_CHECK` outside the chains."""
        from dbxray.findings import SEVERITY_RANK

        ordered = sorted(findings, key=lambda f: (f.id not in chained, -SEVERITY_RANK[f.severity]))
        per_check: dict[str, int] = {}
        out = []
        self.capped = 0
        for f in ordered:
            if f.id not in chained:
                per_check[f.check] = per_check.get(f.check, 0) + 1
                if per_check[f.check] > PER_CHECK:
                    self.capped += 1
                    continue
            evidence = {k: _round(v) for k, v in f.evidence.items()
                        if v is not None and not any(r in f.evidence for r in REDUNDANT.get(k, ()))}
            qid = str(f.object.get("query_id") or "")
            if qid and qid in self.listed_queries:  # the text and the figures are in that statement item
                if isinstance(evidence.get("query"), str):
                    evidence["query"] = f"statement:{qid}"
                shown = self.listed_queries[qid]
                evidence = {k: v for k, v in evidence.items() if not (k in STATEMENT_FIELDS and shown.get(k) == v)}
            item = {"id": f.id, "check": f.check, "severity": f.severity, "title": f.title,
                    "object": {k: _round(v) for k, v in f.object.items()}, "evidence": evidence}
            out.append(item)
        return out

    def _referenced_tables(self, findings: list[Any], diagnosis: dict[str, Any]) -> set[tuple[str, str]]:
        objects = [f.object for f in findings] + diagnosis["objects"]
        out = set()
        for obj in objects:
            if obj.get("table"):
                out.add(_key(obj.get("schema"), obj["table"]))
            elif obj.get("relation"):
                schema, _, table = str(obj["relation"]).rpartition(".")
                out.add(_key(schema, table))
        return out

    def _statements(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for i, r in enumerate(rows):
            qid = str(r.get("queryid", r.get("query_id", "")))
            if i >= TOP_STATEMENTS and qid not in self.referenced_queries:
                continue
            item = {"id": f"statement:{qid}", "query": r.get("query") or "", "rank": i + 1}
            item.update({k: _round(r[k]) for k in STATEMENT_FIELDS if r.get(k) is not None and r[k] == r[k]})
            out.append(item)
        return out

    def _tables(self) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
        frame = self.snapshot["tables"]
        if frame.empty or "table" not in frame.columns:
            return [], set()
        schemas = frame["schema"].tolist() if "schema" in frame.columns else [""] * len(frame)
        every = {_key(s, t) for s, t in zip(schemas, frame["table"].tolist())}
        by_size = frame.sort_values("total_bytes", ascending=False, kind="stable") if "total_bytes" in frame else frame
        keys = [_key(s, t) for s, t in zip(by_size["schema"].tolist() if "schema" in by_size.columns
                                            else [""] * len(by_size), by_size["table"].tolist())]
        wanted = set(keys[:TOP_TABLES]) | (self.referenced_tables & every)
        if not wanted:
            return [], every
        mask = [k in wanted for k in keys]
        collected = getattr(self.snapshot, "collected_at", None)
        out = []
        for rec in by_size[mask].to_dict("records"):
            key = _key(rec.get("schema"), rec.get("table"))
            name = ".".join(p for p in key if p)
            item: dict[str, Any] = {"id": f"table:{name}"}
            for k in TABLE_FIELDS:
                v = _round(rec.get(k))
                if v is None or v == 0 or v == "" or v == [] or (isinstance(v, float) and v != v):
                    continue
                if k.startswith("last_"):
                    hours = _hours_ago(rec.get(k), collected)
                    if hours is not None:
                        item[f"{k}_hours_ago"] = hours
                elif isinstance(v, str | list):
                    item[k] = self.red.value(k, v)
                else:
                    item[k] = v
            self.referenced[item["id"]] = key in self.referenced_tables
            self.shown_tables.add(key)
            out.append(item)
        return out, every

    def _indexes(self) -> tuple[list[dict[str, Any]], set[tuple[str, str, str]]]:
        frame = self.snapshot["indexes"]
        if frame.empty or "index" not in frame.columns:
            return [], set()
        schemas = frame["schema"].tolist() if "schema" in frame.columns else [""] * len(frame)
        tables = frame["table"].tolist()
        every = {(str(s or ""), str(t), str(i)) for s, t, i in zip(schemas, tables, frame["index"].tolist())}
        mask = [_key(s, t) in self.shown_tables for s, t in zip(schemas, tables)]
        out = []
        for rec in frame[mask].to_dict("records"):
            schema, table, index = str(rec.get("schema") or ""), str(rec["table"]), str(rec["index"])
            item: dict[str, Any] = {"id": f"index:{'.'.join(p for p in (schema, table, index) if p)}"}
            for k in INDEX_FIELDS:
                v = rec.get(k)
                v = json.loads(v) if k == "columns" and isinstance(v, str) and v.startswith("[") else v
                v = v.tolist() if hasattr(v, "tolist") else v
                if v is None or (isinstance(v, float) and v != v) or v in ([], ""):
                    continue
                if k in FLAGS:
                    if bool(v) != FLAGS[k][1]:
                        item[FLAGS[k][0]] = True
                elif not (k == "method" and v == "btree"):
                    item[k] = self.red.value(k, _round(v))
            self.referenced[item["id"]] = (schema, table) in self.referenced_tables
            out.append(item)
        return out, every

    def _settings(self) -> list[dict[str, Any]]:
        """The allowlisted settings that matter most, those changed from their default, and those a
        finding names; never a setting off the allowlist (connection strings, commands, paths)."""
        frame = self.snapshot["settings"]
        if frame.empty or "name" not in frame.columns:
            return []
        allow = set(_notable(self.snapshot.engine)[0])
        core = set(_notable(self.snapshot.engine)[1])
        out = []
        for rec in frame[frame["name"].isin(allow | self.referenced_settings)].to_dict("records"):
            rec = {k: v for k, v in rec.items() if isinstance(v, str) and v}  # every column is text; NaN is absent
            changed = "boot_val" in rec and rec["boot_val"] != rec.get("setting")
            if rec.get("source") == "client" and rec["name"] not in self.referenced_settings:
                continue  # dbxray's own session limits (statement_timeout, lock_timeout), not the server's
            if not (rec["name"] in core or rec["name"] in self.referenced_settings or changed
                    or rec.get("source") not in (None, "default", "override")):
                continue
            item = {"id": f"setting:{rec['name']}", "value": self.red.prose(rec.get("setting", ""), 200)}
            if "unit" in rec:
                item["unit"] = rec["unit"]
            if rec.get("source") not in (None, "default"):
                item["source"] = rec["source"]
            if changed:
                item["default"] = self.red.prose(rec["boot_val"], 200)
            out.append(item)
        return out

    # -- fitting -----------------------------------------------------------------------------------
    def assemble(self, findings: list[dict[str, Any]], statements: list[dict[str, Any]],
                 tables: list[dict[str, Any]], indexes: list[dict[str, Any]], settings: list[dict[str, Any]],
                 bottlenecks: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, int]]:
        omitted = {"findings": len(self.findings) - len(findings) + self.capped,
                   "finding_evidence": sum(1 for x in findings if "evidence" not in x),
                   "bottlenecks": len(self.diagnosis["bottlenecks"]) - len(bottlenecks),
                   "statements": len(self.statements) - len(statements),
                   "tables": len(self.all_tables) - len(tables),
                   "indexes": len(self.all_indexes) - len(indexes),
                   "settings": len(self.settings) - len(settings)}
        document = {
            "format": "dbxray-evidence", "version": 1,
            "database": self.database,
            "diagnosis": {"summary": self.diagnosis["summary"], "bottlenecks": bottlenecks},
            "findings": findings, "statements": statements, "tables": tables, "indexes": indexes,
            "settings": settings,
            "omitted": {k: v for k, v in omitted.items() if v},
        }
        return document, document["omitted"]

    def fit(self, budget: int | None) -> tuple[dict[str, Any], dict[str, int]]:
        """The fullest document within ``budget`` characters. Cut first the indexes and tables no finding
        names, then statements outside the top five, then the evidence of the least important findings
        (outside the bottlenecks, least severe first, then the last bottlenecks' findings; their titles and
        objects stay), then the settings no finding names, then the findings outside the bottlenecks,
        then the last bottlenecks."""
        def ref(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [x for x in items if self.referenced[x["id"]]]

        def bare(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: v for k, v in x.items() if k != "evidence"} for x in items]

        def fits(state: tuple) -> bool:
            return _cost(self.assemble(*state)[0]) <= budget

        f, s, t, i, st, b = (self.findings, self.statements, self.tables, self.indexes, self.settings,
                             self.diagnosis["bottlenecks"])
        if budget is None or fits((f, s, t, i, st, b)):
            return self.assemble(f, s, t, i, st, b)
        chained = [x for x in f if x["id"] in self.chained]
        loose = [x for x in f if x["id"] not in self.chained]
        top = [x for x in s if x["rank"] <= 5 or x["id"].partition(":")[2] in self.referenced_queries]
        named = [x for x in st if x["id"].partition(":")[2] in self.referenced_settings]
        levels = [(f, s, t, ref(i), st, b), (f, s, ref(t), ref(i), st, b), (f, top, ref(t), ref(i), st, b)]
        for state in levels:
            if fits(state):
                return self.assemble(*state)
        order = {fid: n for n, fid in enumerate(fid for x in b for fid in x["finding_ids"])}
        ranked = sorted(chained, key=lambda x: order.get(x["id"], len(order))) + loose
        for settings in (st, named):  # every finding listed; the evidence of the least important cut
            rest = (top, ref(t), ref(i), settings, b)
            keep = _largest(len(ranked), lambda k: fits((ranked[:k] + bare(ranked[k:]), *rest)))  # noqa: B023
            if keep is not None:
                return self.assemble(ranked[:keep] + bare(ranked[keep:]), *rest)
        light = bare(loose)
        keep = _largest(len(light), lambda k: fits((bare(chained) + light[:k], *rest)))
        if keep is not None:
            return self.assemble(bare(chained) + light[:keep], *rest)
        for n in range(len(b), 0, -1):
            ids = {fid for x in b[:n] for fid in x["finding_ids"]}
            state = ([x for x in bare(chained) if x["id"] in ids], top[:5], ref(t), ref(i), named, b[:n])
            if fits(state):
                return self.assemble(*state)
        return self.assemble([], top[:3], [], [], [], b[:1])


def _largest(n: int, fits: Any) -> int | None:
    """The largest k in 0..n with fits(k) (fits is monotone), by bisection; None when even 0 does not fit."""
    if fits(n):
        return n
    if not fits(0):
        return None
    low, high = 0, n  # fits(low), not fits(high)
    while high - low > 1:
        mid = (low + high) // 2
        if fits(mid):
            low = mid
        else:
            high = mid
    return low


def _notable(engine_name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(settings worth showing, settings kept whatever the budget) of an engine."""
    from dbxray import engine

    return engine.get(engine_name).notable_settings()
