"""Inline SVG charts of the HTML report (bars, donut, lines) and the trends view of the history block:
geometry computed here, drawn by the templates; every missing piece simply does not render."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

from dbxray.report.formatting import _parse_time, human_bytes, human_ms, num, pct, short, when

SEVERITIES = ("critical", "warning", "info")


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
