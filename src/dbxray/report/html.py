"""HTML renderer: one self-contained page (CSS, JS and SVG charts inline) from the report's JSON dict.

``render_html(data)`` takes ``Report.to_dict()`` (the contract in docs/report-schema.md) plus the
optional ``diagnosis`` and ``history`` blocks, and never reaches the network: no fonts, no CDN, no
remote images, and a Content-Security-Policy that forbids any fetch, so the file works as an e-mail
attachment. Every string from the database goes through Jinja autoescaping; the one inline script is
static and pinned by its hash in that policy.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

from markupsafe import Markup

from dbxray.report.charts import _f, _history_view, checks_chart, donut, hbars, statement_share_chart
from dbxray.report.formatting import (
    MAX_TEXT,
    duration,
    evidence_value,
    human_bytes,
    human_ms,
    num,
    pct,
    redact,
    richtext,
    short,
    sql_markup,
    when,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
SEVERITIES = ("critical", "warning", "info")
KIND_LABEL = {
    "statement": "Statement", "locking": "Locking", "connections": "Connections", "maintenance": "Maintenance",
    "configuration": "Configuration", "capacity": "Capacity", "outage_risk": "Outage risk",
}
CONFIDENCE_LEVEL = {"proven": 3, "likely": 2, "possible": 1}
TARGET_KEYS = ("flavor", "engine", "server_version", "database", "host", "port", "source", "file")
# a check with more findings than this in one group shows the rest as a compact table
CARDS_PER_CHECK = 10
SHOWN_PER_BOTTLENECK = 8  # findings listed under a bottleneck before "N more"


def object_parts(obj: dict[str, Any] | None) -> list[tuple[str, str]]:
    """What a finding is about, as (label, value) pairs in reading order."""
    obj = obj or {}
    parts: list[tuple[str, str]] = []
    if obj.get("table") is not None:
        name = f"{obj['schema']}.{obj['table']}" if obj.get("schema") is not None else str(obj["table"])
        parts.append(("table", name))
    elif obj.get("schema") is not None:
        parts.append(("schema", str(obj["schema"])))
    for key in ("index", "sequence", "relation", "role", "setting", "extension", "database"):
        if obj.get(key) is not None:
            parts.append((key, str(obj[key])))
    if obj.get("columns"):
        cols = obj["columns"] if isinstance(obj["columns"], list) else [obj["columns"]]
        parts.append(("columns", ", ".join("—" if c is None else str(c) for c in cols)))
    for key in ("query_id", "pid", "node_id", "node_type"):
        if obj.get(key) is not None:
            parts.append((key.replace("_", " "), str(obj[key])))
    return parts


def _evidence_rows(evidence: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Evidence as (key, formatted value) rows; long or multi-line values render as blocks."""
    rows = []
    for key, value in (evidence or {}).items():
        if value is None:
            continue
        text = evidence_value(key, value)
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT] + f"… ({len(text) - MAX_TEXT:,} more characters)"
        block = "\n" in text or len(text) > 90 or key in ("query", "statement", "plan")
        rows.append({"key": key.replace("_", " "), "value": text, "block": block})
    return rows


def _finding_view(f: dict[str, Any], anchor: str, statement_anchor: dict[str, str]) -> dict[str, Any]:
    """What the template needs of one finding."""
    severity = f.get("severity") if f.get("severity") in SEVERITIES else "info"
    evidence = f.get("evidence") or {}
    query_id = (f.get("object") or {}).get("query_id")
    return {
        "anchor": anchor,
        "id": f.get("id"),
        "check": f.get("check", ""),
        "severity": severity,
        "title": f.get("title", ""),
        "object": object_parts(f.get("object")),
        "recommendation": f.get("recommendation") or "",
        "sql": f.get("sql") or None,
        "ai": f.get("source") == "llm",
        "analysis": evidence.get("analysis"),
        "raw_evidence": evidence,
        "evidence": [],  # filled for the findings shown as cards (compact table rows do not show it)
        "statement_anchor": statement_anchor.get(str(query_id)) if query_id is not None else None,
    }


def _severity_groups(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings by severity, then by check in report order; a check with many findings shows its first
    ``CARDS_PER_CHECK`` as cards and the rest as a compact table right after them."""
    groups = []
    for sev in SEVERITIES:
        items = [v for v in views if v["severity"] == sev]
        if not items:
            continue
        runs: list[dict[str, Any]] = []
        index: dict[str, dict[str, Any]] = {}
        for v in items:
            run = index.get(v["check"])
            if run is None:
                run = index[v["check"]] = {"check": v["check"], "cards": [], "compact": []}
                runs.append(run)
            (run["cards"] if len(run["cards"]) < CARDS_PER_CHECK else run["compact"]).append(v)
        groups.append({"severity": sev, "runs": runs, "count": len(items)})
    return groups


def _diagnosis_view(diagnosis: dict[str, Any] | None, views: list[dict[str, Any]]) -> tuple[Any, list, list]:
    """(diagnosis view, bottlenecks with their findings, findings no bottleneck claims)."""
    if not diagnosis:
        return None, [], views
    by_id = {v["id"]: v for v in views if v["id"] is not None}
    placed: set[str] = set()
    bottlenecks = []
    ranked = sorted(diagnosis.get("bottlenecks") or [], key=lambda b: (b.get("rank") is None, b.get("rank") or 0))
    for i, b in enumerate(ranked, 1):
        own, elsewhere = [], []
        for fid in dict.fromkeys(b.get("finding_ids") or []):  # unknown ids (not in this report) are skipped
            view = by_id.get(fid)
            if view is None:
                continue
            (elsewhere if fid in placed else own).append(view)
            placed.add(fid)
        fix = b.get("fix") or {}
        severity = b.get("severity") if b.get("severity") in SEVERITIES else "info"
        kind = str(b.get("kind") or "")
        bottlenecks.append({
            "anchor": f"b-{i}", "rank": b.get("rank", i),
            "kind": KIND_LABEL.get(kind, kind.replace("_", " ").capitalize()), "title": b.get("title", ""),
            "object": object_parts(b.get("object")), "cause": b.get("cause") or "", "impact": b.get("impact") or "",
            "sql": fix.get("sql") or None, "expected": fix.get("expected") or "", "risk": fix.get("risk") or "",
            "confidence": b.get("confidence") or "", "confidence_level": CONFIDENCE_LEVEL.get(b.get("confidence"), 0),
            "severity": severity, "findings": own, "also": elsewhere,
            "score": b.get("score") if isinstance(b.get("score"), int | float) else None,
        })
    top_score = max((b["score"] for b in bottlenecks if b["score"] is not None), default=0) or 1.0
    for b in bottlenecks:
        b["score_frac"] = max(0.0, min(1.0, (b["score"] or 0) / top_score))
    rest = [v for v in views if v["id"] is None or v["id"] not in placed]
    view = {"summary": diagnosis.get("summary") or "", "first": bottlenecks[0] if bottlenecks else None}
    return view, bottlenecks, rest


def _statement_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Top statements with their anchors, and query id -> anchor (findings link to their statement)."""
    out, anchors = [], {}
    for i, r in enumerate(rows, 1):
        anchor = f"q-{i}"
        if r.get("query_id") is not None:
            anchors.setdefault(str(r["query_id"]), anchor)
        out.append({**r, "anchor": anchor, "n": i})
    return out, anchors


def _collectors(collection: dict[str, Any]) -> dict[str, Any]:
    """The collection block: collectors, counts by status, failed checks, timings."""
    rows = collection.get("collectors") or []
    status = Counter(str(c.get("status")) for c in rows)
    return {"rows": rows, "status": sorted(status.items(), key=lambda kv: (kv[0] != "ok", kv[0])),
            "check_errors": collection.get("check_errors") or [],
            "duration_ms": collection.get("duration_ms"), "live": collection.get("live_analysis") or {}}


def _target(data: dict[str, Any]) -> dict[str, str]:
    """Database, host and product line of the target, without any password."""
    t = {k: redact(v) for k, v in (data.get("target") or {}).items() if k in TARGET_KEYS and v not in (None, "")}
    product = " ".join(x for x in (t.get("flavor") or t.get("engine"), t.get("server_version")) if x)
    if t.get("source"):  # an offline plan file: name the file, not a server
        return {"database": t.get("file") or t["source"], "host": "", "product": f"{product} plan, offline".strip()}
    host = f"{t['host']}:{t['port']}" if t.get("host") and t.get("port") else t.get("host", "")
    return {"database": t.get("database", ""), "host": host, "product": product}


def _kpis(db: dict[str, Any], interval: dict[str, Any] | None) -> list[dict[str, str]]:
    """The key figures under the header, each with a tone when it needs attention."""
    out = []
    if db.get("size_bytes") is not None:
        out.append({"label": "Database size", "value": human_bytes(db["size_bytes"])})
    if db.get("cache_hit_ratio") is not None:
        ratio = float(db["cache_hit_ratio"])
        out.append({"label": "Cache hit ratio", "value": pct(ratio, ratio=True),
                    "tone": "bad" if ratio < 0.9 else "warn" if ratio < 0.99 else ""})
    if db.get("connections") is not None:
        used, most = db["connections"], db.get("max_connections")
        tone = "bad" if most and used / most >= 0.9 else "warn" if most and used / most >= 0.75 else ""
        out.append({"label": "Connections", "value": f"{num(used)} / {num(most)}" if most else num(used),
                    "tone": tone})
    if db.get("temp_bytes") is not None:
        out.append({"label": "Temp files", "value": f"{human_bytes(db['temp_bytes'])}",
                    "sub": f"{num(db.get('temp_files'))} files" if db.get("temp_files") is not None else ""})
    if db.get("deadlocks") is not None:
        out.append({"label": "Deadlocks", "value": num(db["deadlocks"]), "tone": "warn" if db["deadlocks"] else ""})
    commits, rollbacks = db.get("xact_commit"), db.get("xact_rollback")
    if commits is not None and rollbacks is not None and commits + rollbacks:
        out.append({"label": "Rollbacks", "value": pct(100 * rollbacks / (commits + rollbacks)),
                    "sub": f"of {num(commits + rollbacks)} transactions"})
    if interval and interval.get("seconds") is not None:
        out.append({"label": "Interval", "value": duration(interval["seconds"]), "sub": "since the baseline"})
    elif db.get("stats_age_days") is not None:
        out.append({"label": "Statistics age", "value": f"{float(db['stats_age_days']):,.1f} days",
                    "sub": "since the last reset"})
    for k in out:
        k.setdefault("tone", "")
        k.setdefault("sub", "")
    return out


# -- charts (geometry here, markup and escaping in templates/_charts.html.j2) -----------------------

def _plan_view(plan: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``explain`` plan block: timings, hot nodes by self time, the text tree."""
    if not plan:
        return None
    hot = [{"label": short(f"#{n.get('node_id')} {n.get('node_type') or ''} {n.get('relation') or ''}", 56),
            "title": f"{n.get('node_type') or ''} {n.get('relation') or ''}".strip(),
            "pct": float(n.get("self_pct") or 0), "value": pct(n.get("self_pct")) if n.get("self_pct") is not None
            else "—", "note": human_ms(n.get("self_ms")) if n.get("self_ms") is not None else ""}
           for n in plan.get("hot_nodes") or []]
    facts = [(k.removesuffix("_ms").replace("_", " "), human_ms(plan[k]) if k.endswith("_ms") else num(plan[k]))
             for k in ("total_ms", "planning_ms", "execution_ms", "total_cost") if plan.get(k) is not None]
    return {"facts": facts, "hot": hbars(hot, "pct", 100.0) if any(h["pct"] for h in hot) else [],
            "tree": plan.get("text_tree") or ""}


def context(data: dict[str, Any]) -> dict[str, Any]:
    """Everything the template shows, computed from the report dict."""
    summary = data.get("summary") or {}
    findings = data.get("findings") or []
    listed = "findings" in data  # a diagnosis-only brief carries counts, not the findings
    counts = {s: 0 for s in SEVERITIES}
    for f in findings:
        if f.get("severity") in counts:
            counts[f["severity"]] += 1
    if not listed:
        counts = {s: int((summary.get("findings") or {}).get(s) or 0) for s in SEVERITIES}
    statements, statement_anchor = _statement_rows(summary.get("statements") or [])
    views = [_finding_view(f, f"f-{i}", statement_anchor) for i, f in enumerate(findings, 1)]
    diagnosis, bottlenecks, rest = _diagnosis_view(data.get("diagnosis"), views)
    groups = _severity_groups(rest)
    for view in [*(f for b in bottlenecks for f in b["findings"]), *(f for g in groups for r in g["runs"]
                                                                     for f in r["cards"])]:
        view["evidence"] = _evidence_rows(view["raw_evidence"])
    target = _target(data)
    kind = data.get("kind") or "report"
    title_kind = {"report": "Health report", "explain": "Plan analysis", "indexes": "Index advice"}.get(
        kind, str(kind).capitalize())
    changes = summary.get("changes")
    return {
        "kind": kind, "title_kind": title_kind, "target": target,
        "page_title": f"{target['database'] or 'database'} · dbxray {kind}",
        "collected_at": data.get("collected_at") or "", "collected": when(data.get("collected_at")),
        "tool": data.get("tool") or {}, "schema_version": data.get("schema_version") or "",
        "counts": counts, "total": sum(counts.values()), "listed": listed,
        "incomplete": summary.get("incomplete") or [], "notes": summary.get("notes") or [],
        "interval": summary.get("interval"), "kpis": _kpis(summary.get("database") or {}, summary.get("interval")),
        "diagnosis": diagnosis, "bottlenecks": bottlenecks,
        "groups": groups, "rest_count": len(rest),
        "statements": statements, "tables": summary.get("tables") or [],
        "examined": any(s.get("rows_examined_per_call") is not None for s in statements),
        "share_chart": statement_share_chart(statements), "donut": donut(counts),
        "checks_chart": checks_chart(findings),
        "history": _history_view(data.get("history") or summary.get("history")),
        "changes": changes if isinstance(changes, dict) else None,
        "collection": _collectors(data.get("collection") or {}), "plan": _plan_view(data.get("plan")),
        "shown_per_bottleneck": SHOWN_PER_BOTTLENECK,
    }


# -- rendering ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _environment():
    """The Jinja2 environment (autoescape on, undefined names are errors), built once."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, pct=pct, ms=human_ms, bytes=human_bytes, richtext=richtext, short=short, sql=sql_markup,
                       when=when, f=_f)
    return env


@functools.lru_cache(maxsize=1)
def _assets() -> dict[str, Any]:
    """The inline stylesheet and script, and the page's Content-Security-Policy pinning that script."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    js = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return {"css": Markup(css), "js": Markup(js), "csp": csp}


def render_html(data: dict[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    return _environment().get_template("report.html.j2").render(**context(data), assets=_assets())
