"""``dbxray indexes``: only the index advice — the missing indexes of the real workload, each proven."""

from __future__ import annotations

from pathlib import Path

import typer

from dbxray.commands.common import (
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


def indexes(
    dsn: str = DsnOption,
    queries: list[str] = typer.Option(None, "--query", "-q", show_default=False,
                                      help="A statement to advise on (repeatable); $1 parameters are fine. "
                                           "Added to the top statements of pg_stat_statements."),
    fmt: Format = FormatOption,
    output: Path = OutputOption,
    verify: bool = typer.Option(False, "--verify",
                                help="STAGING ONLY: build each proposed index inside a transaction, measure its "
                                     "statements with EXPLAIN ANALYZE, then roll back. The build blocks writes to "
                                     "the table while it runs. PostgreSQL only; refused on a hot standby. It fills "
                                     "the statements' parameters with real values of their columns read from "
                                     "pg_stats (most common values, histogram bounds): the output hides them "
                                     "unless --show-values."),
    show_values: bool = typer.Option(False, "--show-values",
                                     help="With --verify: show the column values (from pg_stats, i.e. your table's "
                                          "data) the statements were measured with, instead of hiding them."),
    min_improvement: float = typer.Option(None, "--min-improvement", min=0.01, max=0.9999, show_default=False,
                                          help="Cost cut a hypothetical index must bring (default 0.5: half)."),
    fail_on: Severity = FailOnOption,
    config: Path = ConfigOption,
    statement_timeout: float = StatementTimeoutOption,
    connect_timeout: int = ConnectTimeoutOption,
    no_progress: bool = typer.Option(False, "--no-progress", help="No spinner on stderr."),
) -> None:
    """Find the missing indexes of the real workload; prove each one with hypothetical indexes (HypoPG)."""
    import sys

    from dbxray import engine
    from dbxray.config import load_config
    from dbxray.connect import Limits, connect
    from dbxray.report import render
    from dbxray.report.build import Report, collection_of, target_of

    cfg = load_config(config)
    if min_improvement is not None:
        cfg.checks.setdefault("missing_index", {})["min_improvement"] = min_improvement
    limits = Limits(connect_timeout=connect_timeout, statement_timeout=statement_timeout)
    with connect(dsn, limits) as session, progress("collecting", enabled=not no_progress) as tick:
        advice = engine.of(session).index_advice(session, queries or [], cfg, verify, tick, show_values=show_values)
    snap = advice.snapshot
    report = Report(kind="indexes", target=target_of(snap), collected_at=snap.collected_at, summary=advice.summary,
                    collection=collection_of(snap), notes=advice.notes)
    report.add(advice.findings)
    color = fmt == Format.text and output is None and sys.stdout.isatty()
    emit(render(report, fmt.value, color=color), output)
    exit_for(report, fail_on)
