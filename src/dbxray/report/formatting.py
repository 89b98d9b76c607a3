"""Formatting for the HTML report: numbers, sizes, durations, times, short text and SQL markup
(escaped by Jinja; ``Markup`` only for what this module built itself)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from markupsafe import Markup, escape

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
