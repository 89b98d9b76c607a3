"""Memory arithmetic for spills: how much ``work_mem`` would have kept an operation in memory."""

from __future__ import annotations

import math
import re

DEFAULT_WORK_MEM_KB = 4096
_UNITS = {"b": 1 / 1024, "kb": 1, "mb": 1024, "gb": 1024 * 1024, "tb": 1024 * 1024 * 1024}


def parse_kb(value: str | None) -> int | None:
    """PostgreSQL memory setting text (``64kB``, ``4MB``, ``'1GB'``, ``4096``) -> kB."""
    if value is None:
        return None
    m = re.fullmatch(r"\s*'?(\d+(?:\.\d+)?)\s*([kmgt]?b)?'?\s*", str(value), flags=re.IGNORECASE)
    if not m:
        return None
    unit = (m.group(2) or "kb").lower()
    return int(float(m.group(1)) * _UNITS[unit])


def human_kb(kb: float) -> str:
    if kb >= 1024 * 1024:
        return f"{kb / 1024 / 1024:.1f} GB"
    if kb >= 1024:
        return f"{kb / 1024:.1f} MB"
    return f"{kb:.0f} kB"


def setting_value(kb: float) -> str:
    """A round ``work_mem`` value at least ``kb``: the next power of two, in MB from 1 MB up."""
    mb = max(1, math.ceil(kb / 1024))
    mb = 2 ** math.ceil(math.log2(mb))
    return f"{mb // 1024}GB" if mb >= 1024 and mb % 1024 == 0 else f"{mb}MB"
