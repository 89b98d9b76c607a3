"""Small helpers the chains share: severity order, numbers people read, a statement's short text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dbxray.findings import Finding

SEVERITY_ORDER = {"critical": 3, "warning": 2, "info": 1}


def worst(findings: Iterable[Finding]) -> str:
    best = "info"
    for f in findings:
        if SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[best]:
            best = f.severity
    return best


def serious(findings: Iterable[Finding]) -> bool:
    return any(f.severity in ("critical", "warning") for f in findings)


def num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def count(value: Any) -> str:
    return f"{num(value):,.0f}"


def seconds(value: Any) -> str:
    from dbxray.units import human_seconds

    return human_seconds(num(value))


def short(text: Any, limit: int = 120) -> str:
    one = " ".join(str(text or "").split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def table_name(obj: dict[str, Any]) -> str | None:
    if not obj.get("table"):
        return None
    return ".".join(str(p) for p in (obj.get("schema"), obj["table"]) if p)
