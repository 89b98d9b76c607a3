"""``dbxray report``: the health report of one database."""

from __future__ import annotations

from pathlib import Path

import typer

from dbxray.commands.common import (
    AllowPartialOption,
    ConfigOption,
    ConnectTimeoutOption,
    DsnOption,
    FailOnOption,
    Format,
    FormatOption,
    OutputOption,
    Severity,
    StatementTimeoutOption,
    emit,
    exit_for,
    progress,
)


def report(
    dsn: str = DsnOption,
    fmt: Format = FormatOption,
    output: Path = OutputOption,
    fail_on: Severity = FailOnOption,
    config: Path = ConfigOption,
    save: Path = typer.Option(None, "--save", help="Also save the collected snapshot (JSON, .gz ok) for "
                              "later diffs.", dir_okay=False),
    baseline: Path = typer.Option(None, "--baseline", help="An older snapshot: report the workload between "
                                  "it and now (deltas, not totals since the last reset).", dir_okay=False),
    history: Path = typer.Option(None, "--history", help="Directory of earlier snapshots (cron): report the "
                                 "interval since the last run and what changed, then save this one there.",
                                 file_okay=False),
    snapshot: Path = typer.Option(None, "--snapshot", help="Report from a saved snapshot instead of "
                                  "connecting.", dir_okay=False),
    statement_timeout: float = StatementTimeoutOption,
    connect_timeout: int = ConnectTimeoutOption,
    no_progress: bool = typer.Option(False, "--no-progress", help="No spinner on stderr."),
    allow_partial: bool = AllowPartialOption,
) -> None:
    """Collect statistics from a live database and report what is slow, why, and the fix."""
    from dbxray.config import load_config
    from dbxray.connect import Limits
    from dbxray.pipeline import analyze_snapshot, collect_snapshot
    from dbxray.report import render
    from dbxray.snapshot import Snapshot

    cfg = load_config(config)
    if snapshot:
        snap = Snapshot.load(snapshot)
    else:
        limits = Limits(connect_timeout=connect_timeout, statement_timeout=statement_timeout)
        with progress("collecting", enabled=not no_progress) as tick:
            snap = collect_snapshot(dsn, limits=limits, progress=tick)
    if save:
        snap.save(save)
    base = Snapshot.load(baseline) if baseline else None
    previous = None
    if history:
        from dbxray import history as hist

        history.mkdir(parents=True, exist_ok=True)
        previous = hist.previous_snapshot(history, snap)
        base = base or previous
    rep = analyze_snapshot(snap, config=cfg, baseline=base)
    if history:
        if previous is not None:
            before = analyze_snapshot(previous, config=cfg)
            rep.summary["changes"] = hist.changes(rep.findings, before.findings, previous.collected_at)
        snap.save(hist.snapshot_path(history, snap))
    import sys

    color = fmt == Format.text and output is None and sys.stdout.isatty()
    emit(render(rep, fmt.value, color=color), output)
    exit_for(rep, fail_on, allow_partial)
