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
    LlmDryRunOption,
    LlmOption,
    ModelOption,
    OutputOption,
    Severity,
    StatementTimeoutOption,
    advise_report,
    dry_run_report,
    emit,
    exit_for,
    llm_settings_for,
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
                                  "connecting (rule checks only: no plans, no index proof).", dir_okay=False),
    statement_timeout: float = StatementTimeoutOption,
    connect_timeout: int = ConnectTimeoutOption,
    no_progress: bool = typer.Option(False, "--no-progress", help="No spinner on stderr."),
    allow_partial: bool = AllowPartialOption,
    diagnosis_only: bool = typer.Option(False, "--diagnosis-only", help="Print only the ranked bottlenecks (cause, "
                                        "impact, fix): for chat and cron mail."),
    llm: bool = LlmOption,
    llm_dry_run: bool = LlmDryRunOption,
    model: str = ModelOption,
) -> None:
    """Collect statistics from a live database and report what is slow, why, and the fix."""
    import sys

    from dbxray.config import load_config
    from dbxray.connect import Limits, connect
    from dbxray.pipeline import analyze_snapshot, live_report
    from dbxray.report import render
    from dbxray.snapshot import Snapshot

    cfg = load_config(config)
    llm_settings = llm_settings_for(cfg, model, llm, llm_dry_run)  # a missing key fails here, before connecting
    base = Snapshot.load(baseline) if baseline else None
    if snapshot:
        snap = Snapshot.load(snapshot)
        previous = _previous(history, snap)
        rep = analyze_snapshot(snap, config=cfg, baseline=base or previous)
    else:
        limits = Limits(connect_timeout=connect_timeout, statement_timeout=statement_timeout)
        found: dict = {}

        def baseline_of(new):  # --history: the previous run of this database, known once collected
            found["previous"] = _previous(history, new)
            return base or found["previous"]

        with connect(dsn, limits) as session, progress("collecting", enabled=not no_progress) as tick:
            snap, rep = live_report(session, cfg, baseline_of if history else base, tick)
        previous = found.get("previous")
    if llm_dry_run:
        emit(dry_run_report(rep, snap, llm_settings, base or previous), None)
        return
    if save:
        snap.save(save)
    if history:
        _record_history(history, snap, rep, previous, cfg)
    if llm_settings is not None:  # after the history: what is kept for the next run stays the rules' alone
        advise_report(rep, snap, llm_settings, base or previous, allow_partial)
    color = fmt == Format.text and output is None and sys.stdout.isatty()
    emit(render(rep, fmt.value, color=color, diagnosis_only=diagnosis_only), output)
    exit_for(rep, fail_on, allow_partial)


def _previous(history: Path | None, snap):
    if not history:
        return None
    from dbxray.report.history import previous_snapshot

    history.mkdir(parents=True, exist_ok=True)
    return previous_snapshot(history, snap)


def _record_history(history: Path, snap, rep, previous, cfg) -> None:
    """Say what changed since the previous run, then keep this run (with its findings) for the next one."""
    from dbxray.findings import Finding
    from dbxray.pipeline import analyze_snapshot
    from dbxray.report import history as hist

    if previous is not None:
        saved = previous.meta.get("report_findings")
        before = ([Finding.from_dict(f) for f in saved] if saved is not None
                  else analyze_snapshot(previous, config=cfg).findings)
        rep.summary["changes"] = hist.changes(rep.findings, before, previous.collected_at)
    snap.meta["report_findings"] = [f.to_dict() for f in rep.findings]
    history.mkdir(parents=True, exist_ok=True)
    snap.save(hist.snapshot_path(history, snap))
