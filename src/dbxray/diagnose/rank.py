"""Ranking an expert would sign, and the paragraph that says it.

Imminent outage risks first (the server is about to stop); then measured impact now on one scale
(share of statement time; blocked sessions and their waiting; connection headroom; dead rows that
statements read through); ties broken by confidence, then severity.
"""

from __future__ import annotations

from dbxray.diagnose.common import SEVERITY_ORDER
from dbxray.diagnose.model import Bottleneck

CONFIDENCE_ORDER = {"proven": 0, "likely": 1, "possible": 2}
ORDINALS = ("Second", "Third", "Fourth", "Fifth")


def ranked(bottlenecks: list[Bottleneck]) -> list[Bottleneck]:
    out = sorted(bottlenecks, key=lambda b: (not b.imminent, SEVERITY_ORDER[b.severity] < 2, -b.score,
                                             CONFIDENCE_ORDER[b.confidence], -SEVERITY_ORDER[b.severity]))
    for i, b in enumerate(out, 1):
        b.rank = i
    return out


def summary(bottlenecks: list[Bottleneck], findings: int) -> str:
    serious = [b for b in bottlenecks if b.severity in ("critical", "warning")]
    if not serious:
        extra = f" {findings} finding(s) below are hygiene, not bottlenecks." if findings else ""
        return "Nothing stands out: no finding points at a bottleneck." + extra
    first = serious[0]
    text = f"{first.title}: {first.impact}. Cause: {first.cause}."
    if first.fix.sql:
        text += f" Fix first: {first.fix.sql.splitlines()[0]} ({first.fix.expected})."
    else:
        text += f" Fix first: {first.fix.expected}."
    for word, b in zip(ORDINALS, serious[1:]):
        text += f" {word}, {b.title[0].lower() + b.title[1:]}."
    return text
