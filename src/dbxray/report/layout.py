"""The order every renderer follows: the diagnosis first, then each bottleneck with the findings that
make up its chain, then the remaining findings (a finding appears once, under its first bottleneck)."""

from __future__ import annotations

from typing import Any


def grouped(data: dict[str, Any]) -> tuple[list[tuple[dict[str, Any], list[dict[str, Any]]]], list[dict[str, Any]]]:
    """([(bottleneck, its findings)], remaining findings) from a report's JSON dict."""
    findings = data.get("findings") or []
    diagnosis = data.get("diagnosis") or {}
    by_id = {f.get("id"): f for f in findings}
    used: set[str] = set()
    groups = []
    for b in diagnosis.get("bottlenecks") or []:
        mine = []
        for fid in b.get("finding_ids") or []:
            if fid in by_id and fid not in used:
                mine.append(by_id[fid])
                used.add(fid)
        groups.append((b, mine))
    rest = [f for f in findings if f.get("id") not in used]
    return groups, rest
