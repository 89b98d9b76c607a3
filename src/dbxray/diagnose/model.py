"""The diagnosis in the report contract: ranked bottlenecks, each a chain from symptom to cause to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("statement", "locking", "connections", "maintenance", "configuration", "capacity", "outage_risk")
CONFIDENCES = ("proven", "likely", "possible")  # proven: a hypothetical index, a plan or a measured counter shows it
SEVERITIES = ("critical", "warning", "info")


@dataclass
class Fix:
    sql: str | None
    expected: str
    risk: str


@dataclass
class Bottleneck:
    """One conclusion: what hurts (object), why (cause), how much (impact), what to do (fix), and the
    findings that make up the chain (``finding_ids``)."""

    kind: str
    title: str
    object: dict[str, Any]
    cause: str
    impact: str
    finding_ids: list[str]
    fix: Fix
    confidence: str
    severity: str
    score: float  # measured impact on one scale (percent of database time or its equivalent)
    imminent: bool = False  # an outage risk close enough to come first whatever else is going on
    rank: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown bottleneck kind {self.kind!r}")
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"unknown confidence {self.confidence!r}")
        self.object = {k: v for k, v in self.object.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "kind": self.kind, "severity": self.severity, "title": self.title,
                "object": self.object, "cause": self.cause, "impact": self.impact,
                "finding_ids": list(self.finding_ids),
                "fix": {"sql": self.fix.sql, "expected": self.fix.expected, "risk": self.fix.risk},
                "confidence": self.confidence, "score": round(self.score, 1)}


@dataclass
class Diagnosis:
    summary: str
    bottlenecks: list[Bottleneck] = field(default_factory=list)
    duration_ms: float = 0.0
    error: str | None = None  # the diagnosis crashed: the report is incomplete

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "bottlenecks": [b.to_dict() for b in self.bottlenecks]}

    def finding_owner(self) -> dict[str, int]:
        """finding id -> rank of the bottleneck it belongs to (its first one)."""
        owner: dict[str, int] = {}
        for b in self.bottlenecks:
            for fid in b.finding_ids:
                owner.setdefault(fid, b.rank)
        return owner
