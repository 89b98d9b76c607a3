"""HTML renderer: one self-contained page (CSS, JS and SVG charts inline) from the report's JSON dict.

``render_html(data)`` takes ``Report.to_dict()`` (the contract in docs/report-schema.md) plus the
optional ``diagnosis`` and ``history`` blocks, and never reaches the network: no fonts, no CDN, no
remote images, and a Content-Security-Policy that forbids any fetch, so the file works as an e-mail
attachment. Every string from the database goes through Jinja autoescaping; the one inline script is
static and pinned by its hash in that policy.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

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
MAX_TEXT = 8000  # longest evidence string rendered in full


# -- formatting -------------------------------------------------------------------------------------

def human_bytes(n: Any) -> str:
    """1536 -> '1.5 kB'."""
    if n is None:
        return "—"
    n = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1024:
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PB"


def human_ms(ms: Any) -> str:
    """Milliseconds as people read them: '850 ms', '4.2 s', '12 min', '3.1 h'."""
    if ms is None:
        return "—"
    ms = float(ms)
    if ms == 0:
        return "0"
    if abs(ms) < 1:
        return f"{ms:.2g} ms"
    if abs(ms) < 1000:
        return f"{ms:,.1f} ms" if abs(ms) < 100 else f"{ms:,.0f} ms"
    s = ms / 1000
    if abs(s) < 120:
        return f"{s:,.1f} s"
    if abs(s) < 7200:
        return f"{s / 60:,.1f} min"
    return f"{s / 3600:,.1f} h"


def num(value: Any) -> str:
    """A number with separators and as many decimals as its size deserves; other values as text."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:,.2f}"
        return f"{value:.3g}"
    return str(value)


def pct(value: Any, ratio: bool = False) -> str:
    """'38.2%' from 38.2 (or from 0.382 with ``ratio``)."""
    if value is None:
        return "—"
    value = float(value) * (100 if ratio else 1)
    return f"{value:.1f}%" if abs(value) >= 1 or value == 0 else f"{value:.2f}%"


def evidence_value(key: str, value: Any) -> str:
    """An evidence value by what its key says it is (sizes, durations, shares, ratios)."""
    if value is None:
        return "—"
    if isinstance(value, list):
        shown = [evidence_value(key, v) for v in value[:20]]
        more = f" … {len(value) - 20:,} more" if len(value) > 20 else ""
        return ", ".join(shown) + more
    if isinstance(value, dict):
        return "; ".join(f"{k}: {evidence_value(k, v)}" for k, v in value.items())
    if isinstance(value, bool) or not isinstance(value, int | float):
        return num(value)
    k = key.lower()
    if k.endswith("bytes") or k == "size_bytes":
        return f"{human_bytes(value)} ({num(value)} B)" if abs(value) >= 1024 else f"{num(value)} B"
    if k.endswith("_pct") or k == "pct":
        return pct(value)
    if k.endswith("hit_ratio"):
        return pct(value, ratio=True)
    return num(value)


def short(text: Any, limit: int) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def richtext(text: Any) -> Markup:
    """Escaped text whose `backtick spans` become <code> (escaping happens first: nothing else is markup)."""
    escaped = str(escape("" if text is None else str(text)))
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", escaped))


def _comment_start(line: str) -> int:
    """Where a ``--`` comment starts in one SQL line, outside quotes; -1 when there is none."""
    if "--" not in line:
        return -1
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif line.startswith("--", i):
            return i
    return -1


def sql_markup(sql: Any) -> Markup:
    """Escaped SQL with its ``--`` comments (undo statements, lock warnings) set apart."""
    out = []
    for line in str(sql or "").split("\n"):
        at = _comment_start(line)
        if at < 0:
            out.append(str(escape(line)))
        else:
            out.append(f'{escape(line[:at])}<span class="c">{escape(line[at:])}</span>')
    return Markup("\n".join(out))


_SECRET_URL = re.compile(r"(://[^:/@\s]*):[^@\s]*@")
_SECRET_KV = re.compile(r"(password|passwd|pwd)\s*=\s*\S+", re.I)


def redact(text: Any) -> str:
    """A target field without any password (the contract has none; a hand-made dict might)."""
    return _SECRET_KV.sub(r"\1=***", _SECRET_URL.sub(r"\1:***@", str(text)))


def when(iso: Any) -> str:
    """'2026-11-30 02:23 UTC' from an ISO 8601 timestamp (as given when it does not parse)."""
    parsed = _parse_time(iso)
    if parsed is None:
        return str(iso or "")
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _parse_time(iso: Any) -> dt.datetime | None:
    """An aware datetime from ISO 8601 (UTC when no offset), or None."""
    if not iso:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def duration(seconds: Any) -> str:
    """A span in seconds as people read it (days past two hours)."""
    if seconds is None:
        return "—"
    return human_ms(float(seconds) * 1000) if float(seconds) < 7200 else f"{float(seconds) / 86400:,.1f} days"


# -- the view model ---------------------------------------------------------------------------------

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

def _f(x: float) -> str:
    """A coordinate for SVG: one decimal, no trailing zeros."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def hbars(rows: list[dict[str, Any]], key: str, max_value: float | None = None) -> list[dict[str, Any]]:
    """Rows with ``frac`` (bar length 0..1 of the longest) for a horizontal bar chart."""
    values = [max(0.0, float(r.get(key) or 0)) for r in rows]
    top = max_value if max_value else max(values, default=0) or 1.0
    return [{"anchor": None, "note": "", "tone": "accent", "title": r.get("label", ""), **r,
             "frac": min(1.0, v / top)} for r, v in zip(rows, values)]


def statement_share_chart(statements: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Share of total statement time of the top statements, and of all the others together."""
    if not statements:
        return None
    total = sum(float(s.get("total_ms") or 0) for s in statements)
    rows = []
    for s in statements[:10]:
        share = s.get("share_pct")
        if share is None:
            share = 100 * float(s.get("total_ms") or 0) / total if total else 0.0
        rows.append({"label": short(s.get("query"), 160), "title": short(s.get("query"), 400),
                     "share": float(share), "value": pct(share), "anchor": s.get("anchor"),
                     "note": f"{human_ms(s.get('total_ms'))} · {num(s.get('calls'))} "
                             f"call{'' if s.get('calls') == 1 else 's'}",
                     "tone": "critical" if float(share) >= 25 else "accent"})
    if all(s.get("share_pct") is not None for s in statements):
        rest = 100.0 - sum(float(s["share_pct"]) for s in statements[:10])
        if rest >= 0.5:
            rows.append({"label": "all other statements", "title": "every statement not listed above",
                         "share": rest, "value": pct(rest), "anchor": None, "note": "", "tone": "muted"})
    if not any(r["share"] for r in rows):
        return None
    return {"rows": hbars(rows, "share", max_value=max(r["share"] for r in rows))}


def donut(counts: dict[str, int], radius: float = 52.0) -> dict[str, Any]:
    """Stroke-dash segments of a ring, one per severity with findings."""
    total = sum(counts.get(s, 0) for s in SEVERITIES)
    circumference = 2 * math.pi * radius
    segments, offset = [], 0.0
    for sev in SEVERITIES:
        n = counts.get(sev, 0)
        if not n:
            continue
        length = circumference * n / total
        gap = 1.5 if 0 < length < circumference else 0.0
        segments.append({"severity": sev, "n": n, "dash": f"{_f(max(length - gap, 0.5))} {_f(circumference)}",
                         "offset": _f(-offset)})
        offset += length
    digits = len(num(total))
    return {"total": total, "radius": _f(radius), "segments": segments,
            "font": 30 if digits <= 3 else 24 if digits <= 5 else 18}


def checks_chart(findings: list[dict[str, Any]], limit: int = 8) -> list[dict[str, Any]]:
    """Findings per check (top ``limit``), each bar stacked by severity."""
    per: dict[str, Counter[str]] = {}
    for f in findings:
        per.setdefault(f.get("check", "?"), Counter())[f.get("severity", "info")] += 1
    ordered = sorted(per.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:limit]
    top = max((sum(c.values()) for _, c in ordered), default=1)
    rows = []
    for check, c in ordered:
        start, parts = 0.0, []
        for sev in SEVERITIES:
            if c[sev]:
                parts.append({"severity": sev, "start": start, "frac": c[sev] / top, "n": c[sev]})
                start += c[sev] / top
        rows.append({"label": check, "count": sum(c.values()), "parts": parts})
    return rows


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) at or above ``value``."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    frac = value / 10**exp
    step = next(n for n in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if frac <= n + 1e-9)
    return step * 10**exp


def ms_unit(ms: float) -> float:
    """The unit ``human_ms`` shows ``ms`` in, in milliseconds (so axis ticks are round in it)."""
    s = ms / 1000
    return 1.0 if s < 1 else 1000.0 if s < 120 else 60_000.0 if s < 7200 else 3_600_000.0


def line_chart(points: list[tuple[float, float]], width: float = 340, height: float = 120,
               fmt: Any = num, unit: Any = None) -> dict[str, Any] | None:
    """A polyline with area, y from zero to a round top, and its axis labels; ``points`` are (x, y) in
    order. ``unit(max)`` gives the unit the labels are in, so the top is round in that unit."""
    points = [(x, y) for x, y in points if y is not None and math.isfinite(y)]
    if not points:
        return None
    left, right, top, bottom = 52.0, 10.0, 10.0, 22.0
    xs = [p[0] for p in points]
    y_max = max(p[1] for p in points) or 1.0
    scale = unit(y_max) if unit else 1.0
    y_max = nice_ceiling(y_max / scale) * scale
    x_min, x_max = min(xs), max(xs)
    span = (x_max - x_min) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (plot_w / 2 if x_max == x_min else (x - x_min) / span * plot_w)

    def py(y: float) -> float:
        return top + plot_h - (y / y_max) * plot_h

    coords = [(px(x), py(y)) for x, y in points]
    line = " ".join(f"{_f(x)},{_f(y)}" for x, y in coords)
    base = _f(top + plot_h)
    area = f"M{_f(coords[0][0])},{base} L" + " L".join(f"{_f(x)},{_f(y)}" for x, y in coords) + \
        f" L{_f(coords[-1][0])},{base} Z"
    grid = [{"y": _f(py(v)), "label": fmt(v)} for v in (0.0, y_max / 2, y_max)]
    return {"width": _f(width), "height": _f(height), "line": line, "area": area, "grid": grid,
            "left": _f(left), "right": _f(width - right), "last": {"x": _f(coords[-1][0]), "y": _f(coords[-1][1])},
            "dots": [{"x": _f(x), "y": _f(y)} for x, y in coords] if len(coords) <= 40 else [],
            "x_label_y": _f(height - 6)}


def _history_view(history: dict[str, Any] | None) -> dict[str, Any] | None:
    """Trend charts from the ``history`` block; each missing piece simply does not render."""
    if not history:
        return None
    runs = sorted(history.get("runs") or [], key=lambda r: str(r.get("collected_at") or ""))
    times = [_parse_time(r.get("collected_at")) for r in runs]
    use_time = bool(runs) and all(times) and len(set(times)) == len(times)
    xs = [t.timestamp() for t in times] if use_time else list(range(len(runs)))
    first, last = (when(runs[0].get("collected_at")), when(runs[-1].get("collected_at"))) if runs else ("", "")
    axis = _axis_labels(times) if use_time else (("run 1", f"run {len(runs)}") if runs else ("", ""))

    def series(key: str, fmt: Any, unit: Any = None) -> dict[str, Any] | None:
        pts = [(x, float(r[key])) for x, r in zip(xs, runs) if isinstance(r.get(key), int | float)]
        chart = line_chart(pts, fmt=fmt, unit=unit)
        if chart is None:
            return None
        values = [y for _, y in pts]
        change = None
        if len(values) >= 2 and values[-2]:
            change = 100 * (values[-1] - values[-2]) / values[-2]
        return {**chart, "latest": fmt(values[-1]), "change": change, "n": len(values), "first": axis[0],
                "lastlabel": axis[1]}

    view: dict[str, Any] = {
        "total": series("total_ms", human_ms, ms_unit),
        "rate": series("calls_per_s", lambda v: f"{num(v)}/s"),
        "findings": _findings_bars(runs, axis),
        "regressions": _regressions(history.get("regressions") or []),
        "growth": _growth(history.get("table_growth") or []),
        "runs": len(runs), "first": first, "last": last,
    }
    if not any(view[k] for k in ("total", "rate", "findings", "regressions", "growth")):
        return None
    return view


def _axis_labels(times: list[dt.datetime]) -> tuple[str, str]:
    """First and last time of a trend, as short as the span allows."""
    first, last = times[0].astimezone(dt.UTC), times[-1].astimezone(dt.UTC)
    if first.date() == last.date():
        return first.strftime("%H:%M"), last.strftime("%H:%M UTC")
    if (last - first).days >= 2:
        return first.strftime("%b %d").replace(" 0", " "), last.strftime("%b %d").replace(" 0", " ")
    return first.strftime("%b %d %H:%M").replace(" 0", " "), last.strftime("%b %d %H:%M UTC").replace(" 0", " ")


def _findings_bars(runs: list[dict[str, Any]], axis: tuple[str, str], width: float = 340,
                   height: float = 120) -> dict[str, Any] | None:
    """Findings per run, stacked by severity."""
    counted = [r for r in runs if isinstance(r.get("findings"), dict)]
    if not counted:
        return None
    left, right, top, bottom = 36.0, 10.0, 10.0, 22.0
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(int(r["findings"].get(s) or 0) for s in SEVERITIES) for r in counted]
    y_max = nice_ceiling(max(totals)) if max(totals) > 10 else max(max(totals), 1)
    step = plot_w / len(counted)
    bar_w = max(1.0, min(28.0, step * (0.7 if len(counted) <= 30 else 0.85)))
    bars = []
    for i, r in enumerate(counted):
        x = left + i * step + (step - bar_w) / 2
        y = top + plot_h
        parts = []
        for sev in SEVERITIES:
            n = int(r["findings"].get(sev) or 0)
            if n:
                h = n / y_max * plot_h
                y -= h
                parts.append({"severity": sev, "y": _f(y), "h": _f(h), "n": n})
        bars.append({"x": _f(x), "w": _f(bar_w), "parts": parts, "when": when(r.get("collected_at")),
                     "total": totals[i]})
    last = counted[-1]["findings"]
    return {"width": _f(width), "height": _f(height), "bars": bars, "left": _f(left), "right": _f(width - right),
            "grid": [{"y": _f(top + plot_h - v / y_max * plot_h), "label": num(v)} for v in (0, y_max)],
            "x_label_y": _f(height - 6), "latest": {s: int(last.get(s) or 0) for s in SEVERITIES},
            "first": axis[0], "lastlabel": axis[1]}


def _regressions(rows: list[dict[str, Any]], limit: int = 10) -> list[dict[str, Any]]:
    """The statements whose mean time grew most, as bar rows."""
    rows = sorted(rows, key=lambda r: -float(r.get("ratio") or 0))[:limit]
    out = [{"label": short(r.get("query"), 160), "title": short(r.get("query"), 400), "query": r.get("query") or "",
            "query_id": r.get("query_id"), "ratio": float(r.get("ratio") or 0),
            "value": f"×{float(r.get('ratio') or 0):,.1f}",
            "tone": "critical" if float(r.get("ratio") or 0) >= 5 else "accent",
            "note": f"{human_ms(r.get('mean_ms_before'))} → {human_ms(r.get('mean_ms_after'))} per call"}
           for r in rows]
    return hbars(out, "ratio")


def _growth(rows: list[dict[str, Any]], limit: int = 10) -> list[dict[str, Any]]:
    """The fastest growing tables, as bar rows (red when the size threshold is a month away or less)."""
    rows = sorted(rows, key=lambda r: -float(r.get("bytes_per_day") or 0))[:limit]
    out = []
    for r in rows:
        name = f"{r['schema']}.{r.get('table')}" if r.get("schema") is not None else str(r.get("table"))
        days = r.get("days_to_threshold")
        note = f"limit in {num(float(days))} days" if isinstance(days, int | float) else ""
        out.append({"label": short(name, 56), "title": name, "bytes": float(r.get("bytes_per_day") or 0),
                    "value": f"+{human_bytes(r.get('bytes_per_day'))}/day", "note": note,
                    "tone": "critical" if isinstance(days, int | float) and days <= 30 else "accent"})
    return hbars(out, "bytes")


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
