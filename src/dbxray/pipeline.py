"""The pipeline in one place, each stage called once and in order:

    connect → collect → check → live analysis → diagnose → build → render

``live_report`` is what ``dbxray report`` runs on an open session; ``analyze_snapshot`` is the same
without a session (a saved snapshot: no live analysis). Nothing here knows an engine by name: the
snapshot's engine answers for itself (``dbxray.engine``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dbxray.collect import ProgressFn, run_collectors
from dbxray.connect import Limits, Session, connect
from dbxray.snapshot import Snapshot

Baseline = Snapshot | Callable[[Snapshot], Snapshot | None] | None


@dataclass
class Checked:
    """The check stage's result: the snapshot the checks saw (an interval with a baseline), its
    statements ranked by time (the summary's figures), the findings, and how each check ran."""

    snapshot: Snapshot
    statements: Any = None
    findings: list[Any] = field(default_factory=list)
    runs: list[Any] = field(default_factory=list)


def collect_snapshot(
    dsn: str | None = None,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    only: set[str] | None = None,
    raw_queries: bool = False,
) -> Snapshot:
    """Connect read-only, run every applicable collector, close, return the Snapshot (statement text
    normalized unless ``raw_queries``)."""
    with connect(dsn, limits) as session:
        return run_collectors(session, only=only, progress=progress, raw_queries=raw_queries)


def check(snapshot: Snapshot, config: Any, baseline: Snapshot | None = None) -> Checked:
    """Run the rule checks over the snapshot, or over the interval since ``baseline``."""
    from dbxray.checks import run_checks
    from dbxray.report import summary
    from dbxray.report.summary import interval_snapshot

    seen = interval_snapshot(snapshot, baseline) if baseline is not None else snapshot
    result = run_checks(seen, config)
    return Checked(seen, summary.statements(seen["statements"]), result.findings, result.runs)


def live_analysis(session: Session, snapshot: Snapshot, checked: Checked, config: Any) -> Any:
    """What needs the open session: the engine's plans of the top statements and proven index advice."""
    from dbxray import engine

    if snapshot.meta.get("connection_lost") or session.lost():
        return None  # nothing can run on a lost connection; the report already says it is incomplete
    live = engine.of(session).live_analysis(session, snapshot, checked.findings, config)
    return live


def diagnose(checked: Checked, live: Any = None, ignored: Callable[[Any], bool] | None = None) -> tuple[list[Any], Any]:
    """All findings (the checks', and the live analysis' in place of those it supersedes), each with its
    id, and the ranked bottlenecks they show. ``ignored`` (a fleet target's ``ignore``) drops findings
    by id before ranking, so no bottleneck is built on what the user chose not to see."""
    from dbxray.diagnose import diagnose as rank_bottlenecks
    from dbxray.findings import assign_ids, sort_findings

    findings = list(checked.findings)
    if live is not None:
        superseded = {id(f) for f in live.superseded}
        findings = [f for f in findings if id(f) not in superseded] + list(live.findings)
    findings = sort_findings(findings)
    assign_ids(findings)
    if ignored is not None:
        findings = [f for f in findings if not ignored(f)]
    frame = checked.statements
    cols = [c for c in ("queryid", "query", "calls", "total_ms", "share_pct", "mean_ms") if c in frame.columns]
    rows = frame[cols].to_dict("records") if frame is not None and len(frame) else []
    try:
        return findings, rank_bottlenecks(findings, rows)
    except Exception as exc:  # a bug in the advisor must not lose the findings: the report says it is partial
        from dbxray.diagnose import Diagnosis

        failed = Diagnosis(f"The diagnosis failed ({exc.__class__.__name__}: {exc}); the findings below are "
                           "complete but not ranked.")
        failed.error = f"{exc.__class__.__name__}: {exc}"
        return findings, failed


def build(snapshot: Snapshot, checked: Checked, config: Any, live: Any = None) -> Any:
    """The report document from the stages' results."""
    from dbxray.report.build import build_report

    findings, diagnosis = diagnose(checked, live, config.ignored if getattr(config, "ignore", ()) else None)
    return build_report(snapshot, checked, config, findings, diagnosis, live)


def analyze_snapshot(snapshot: Snapshot, config: Any = None, baseline: Snapshot | None = None) -> Any:
    """Check a snapshot (or the interval since ``baseline``) without a session -> Report."""
    from dbxray.config import Config

    config = config if config is not None else Config()
    checked = check(snapshot, config, baseline)
    return build(snapshot, checked, config)


def live_report(session: Session, config: Any = None, baseline: Baseline = None,
                progress: ProgressFn | None = None, raw_queries: bool = False) -> tuple[Snapshot, Any]:
    """Everything ``dbxray report`` does on an open session, each stage once: collect, check, live
    analysis (plans, proven index advice), build.

    ``baseline`` may be a function of the new snapshot (``--history`` finds the previous run of the
    same database only once it knows which database this is)."""
    from dbxray import gcpause
    from dbxray.config import Config
    from dbxray.pacing import Pacer, parse_pace

    config = config if config is not None else Config()
    pacer = Pacer(parse_pace(config.report_option("pace", "auto")))  # yields to a busy server
    with gcpause.paused():  # millions of objects that all live to the end: the collector's passes free nothing
        snapshot = run_collectors(session, progress=progress, raw_queries=raw_queries, pacer=pacer,
                                  warm=baseline is None)  # an interval's checks read other frames
        base = baseline(snapshot) if callable(baseline) else baseline
        with _paced_stage(pacer, session, snapshot):  # the checks' CPU may share the busy server's host
            checked = check(snapshot, config, base)
        if progress:
            progress("plans and index advice")
        with _paced_stage(pacer, session, snapshot):  # plans and HypoPG proofs are statements on the server
            live = live_analysis(session, snapshot, checked, config)
        return snapshot, build(snapshot, checked, config, live)


@contextmanager
def _paced_stage(pacer: Any, session: Session, snapshot: Snapshot) -> Iterator[None]:
    """A stage after the collection, paced like a collector: a busy server (or the host it shares with
    dbxray) gets the same share of the time during the checks and the live analysis."""
    from dbxray import engine

    started = time.monotonic()
    yield
    if snapshot.meta.get("connection_lost") or session.lost():
        return
    pacer.after(session, engine.of(session), time.monotonic() - started)
    if pacer.summary():
        snapshot.meta["pacing"] = pacer.summary()
