"""The pipeline in one place: connect -> collect -> Snapshot -> summarize -> advise -> Report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbxray.collect import ProgressFn, run_collectors
from dbxray.connect import Limits, Session, connect
from dbxray.snapshot import Snapshot


def collect_snapshot(
    dsn: str | None = None,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    only: set[str] | None = None,
) -> Snapshot:
    """Connect read-only, run every applicable collector, close, return the Snapshot."""
    with connect(dsn, limits) as session:
        return run_collectors(session, only=only, progress=progress)


def analyze_snapshot(snapshot: Snapshot, config: Any = None, baseline: Snapshot | None = None):
    """Run the rule checks over a snapshot (or the interval since ``baseline``) -> Report."""
    from dbxray.config import Config
    from dbxray.report.model import build_report

    config = config if config is not None else Config()
    return build_report(snapshot, config=config, baseline=baseline)


def live_report(session: Session, config: Any = None,
                baseline: Snapshot | Callable[[Snapshot], Snapshot | None] | None = None,
                progress: ProgressFn | None = None) -> tuple[Snapshot, Any]:
    """Everything ``dbxray report`` does on an open session: collect, check, then plan the top
    statements and prove index advice while the session is still open.

    ``baseline`` may be a function of the new snapshot (``--history`` finds the previous run of the
    same database only once it knows which database this is)."""
    from dbxray.config import Config
    from dbxray.enrich import enrich

    config = config if config is not None else Config()
    snap = run_collectors(session, progress=progress)
    base = baseline(snap) if callable(baseline) else baseline
    report = analyze_snapshot(snap, config=config, baseline=base)
    if progress:
        progress("plans and index advice")
    enrich(report, session, snap, config)
    return snap, report
