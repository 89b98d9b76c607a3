"""What one target's run left: its report (or the one line saying why there is none), its exit code, how
long it took. The summary table, the Prometheus textfile and the webhook all read this, for one
target (``dbxray report``) or for the fleet (``--all``)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

STATUS = {0: "ok", 1: "fail-on", 2: "error", 3: "internal error", 4: "incomplete", 130: "interrupted"}


@dataclass
class TargetResult:
    name: str
    report: Any = None  # dbxray.report.build.Report, None when the target failed before one existed
    code: int = 0  # the exit code this target alone would give (0, 1, 2, 3, 4)
    error: str = ""  # why there is no report (one line, no password)
    warnings: list[str] = field(default_factory=list)  # one line each: store trouble, skipped damaged runs
    why: str = ""  # why a report's code is not 0 (--fail-on matched, incomplete)
    seconds: float = 0.0  # wall time: connect, collect, analyse, save to the store
    finished_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def status(self) -> str:
        return STATUS.get(self.code, f"exit {self.code}")

    @property
    def ok(self) -> bool:
        return self.report is not None

    def counts(self) -> dict[str, int] | None:
        return self.report.counts() if self.report is not None else None

    def bottlenecks(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The report's ranked bottlenecks as in the JSON contract (rank 1 first)."""
        diagnosis = getattr(self.report, "diagnosis", None)
        if diagnosis is None:
            return []
        out = [b.to_dict() for b in diagnosis.bottlenecks]
        return out[:limit] if limit is not None else out

    def where(self) -> str:
        """``database@host (flavor)`` from the report: what the target is, never how to log in."""
        if self.report is None:
            return ""
        t = self.report.target
        return f"{t.get('database', '')}@{t.get('host', '')} ({t.get('flavor') or t.get('engine')})"


def single_result(report: Any, code: int, started: float, name: str | None = None) -> TargetResult:
    """The result of a plain ``dbxray report``: named after its database and host."""
    t = report.target
    return TargetResult(name or f"{t.get('host') or 'localhost'}/{t.get('database', '')}", report, code,
                        seconds=time.monotonic() - started)
