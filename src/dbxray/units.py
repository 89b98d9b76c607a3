"""Sizes and durations as people read them, shared by the checks and the renderers."""

from __future__ import annotations

from typing import Any


def human_bytes(n: Any, missing: str = "unknown size") -> str:
    if n is None:
        return missing
    n = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TB"


def human_seconds(s: Any, missing: str = "unknown") -> str:
    if s is None:
        return missing
    s = float(s)
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"
