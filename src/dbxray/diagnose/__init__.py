"""The advisor's answer: thirty findings turned into "this is the bottleneck, this is why, do this first".

Findings are evidence; bottlenecks are conclusions. Each chain links a symptom to its cause and its
fix through what the findings share (a statement's query id, a session's pid, a table), so the
diagnosis is deterministic, works offline, and never invents a fact a finding does not hold.
The LLM advisor reads it as evidence; it may add to it, never change it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from dbxray.diagnose.model import Bottleneck, Diagnosis, Fix

__all__ = ["Bottleneck", "Diagnosis", "Fix", "diagnose"]

MAX_BOTTLENECKS = 25


def diagnose(findings: Iterable[Any], statements: Iterable[dict[str, Any]] = (),
             database: dict[str, Any] | None = None) -> Diagnosis:
    """Rank the bottlenecks that ``findings`` (with their ids) show; ``statements`` are the ranked
    statements (``report.summary.statements`` rows: query id, share of time, calls) over the interval."""
    from dbxray.diagnose.design import cache_bottlenecks, transaction_bottlenecks
    from dbxray.diagnose.evidence import Evidence
    from dbxray.diagnose.locking import deadlock_bottlenecks, locking_bottlenecks
    from dbxray.diagnose.maintenance import maintenance_bottlenecks
    from dbxray.diagnose.rank import ranked, summary
    from dbxray.diagnose.risks import configuration_bottlenecks, connection_bottlenecks, risk_bottlenecks
    from dbxray.diagnose.statements import spill_bottleneck, statement_bottlenecks

    started = time.monotonic()
    ev = Evidence(findings, statements, database)
    found: list[Bottleneck] = []
    # order matters: a finding joins the first chain that explains it (outage risks and the lock graph
    # are the most specific; statements next; then what is left of spills, vacuum and settings)
    for build in (risk_bottlenecks, locking_bottlenecks, statement_bottlenecks, spill_bottleneck,
                  maintenance_bottlenecks, deadlock_bottlenecks, connection_bottlenecks, transaction_bottlenecks,
                  cache_bottlenecks, configuration_bottlenecks):
        found.extend(build(ev))
    bottlenecks = ranked(found)
    if len(bottlenecks) > MAX_BOTTLENECKS:  # the rest stay findings; nobody acts on the 200th priority
        bottlenecks = bottlenecks[:MAX_BOTTLENECKS]
    result = Diagnosis(summary(bottlenecks, len(ev.findings)), bottlenecks)
    result.duration_ms = (time.monotonic() - started) * 1000
    return result
