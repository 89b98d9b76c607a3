"""The pipeline in one place: connect -> collect -> Snapshot -> summarize -> advise -> Report."""

from __future__ import annotations

from typing import Any

from dbxray.collect import ProgressFn, run_collectors
from dbxray.connect import Limits, connect
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
