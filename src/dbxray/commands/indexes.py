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

# what the PostgreSQL advisor reads from the collectors; everything else it asks for per table
PG_COLLECTORS = {"statements", "statements_info"}


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
                                     "the table while it runs. PostgreSQL only; refused on a hot standby."),
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

    from dbxray.collect import run_collectors
    from dbxray.config import load_config
    from dbxray.connect import Limits, connect
    from dbxray.report import render
    from dbxray.report.model import Report, collection_of, target_of

    cfg = load_config(config)
    if min_improvement is not None:
        cfg.checks.setdefault("missing_index", {})["min_improvement"] = min_improvement
    limits = Limits(connect_timeout=connect_timeout, statement_timeout=statement_timeout)
    notes: list[str] = []
    summary: dict = {}
    with connect(dsn, limits) as session, progress("collecting", enabled=not no_progress) as tick:
        if session.engine == "mysql":
            findings, snap = _mysql(session, queries or [], verify, tick)
        else:
            from dbxray.indexes.advisor import advise

            snap = run_collectors(session, only=PG_COLLECTORS, progress=tick)
            tick("advising")
            advice = advise(session, snap, queries or [], config=cfg)
            if verify and advice.findings:
                from dbxray.indexes.verify import verify_findings

                verify_findings(session, advice.findings, advice.helped)
            elif verify:
                notes.append("--verify: nothing to verify, no index is proposed")
            findings, notes, summary = advice.findings, [*advice.notes, *notes], advice.summary
            summary = {"advisor": summary, "statements": _helped_rows(advice)}
    report = Report(kind="indexes", target=target_of(snap), collected_at=snap.collected_at, summary=summary,
                    collection=collection_of(snap), notes=notes)
    report.add(findings)
    color = fmt == Format.text and output is None and sys.stdout.isatty()
    emit(render(report, fmt.value, color=color), output)
    exit_for(report, fail_on)


def _mysql(session, queries: list[str], verify: bool, tick):
    """MySQL/MariaDB advice comes from its own module (digests, information_schema cardinality)."""
    from dbxray.collect import run_collectors
    from dbxray.errors import BadInput

    if verify:
        raise BadInput("--verify is PostgreSQL only: MySQL/MariaDB cannot build an index inside a transaction "
                       "that is rolled back")
    try:
        from dbxray.indexes import mysql_advisor
    except Exception as exc:  # missing, or broken in this build: say so in one line
        raise BadInput("index advice for MySQL/MariaDB is not available in this dbxray build "
                       f"(dbxray.indexes.mysql_advisor: {exc.__class__.__name__})") from None
    snap = run_collectors(session, only=getattr(mysql_advisor, "COLLECTORS", None), progress=tick)
    tick("advising")
    return list(mysql_advisor.advise_mysql(session, snap, queries)), snap


def _helped_rows(advice) -> list[dict]:
    """The pg_stat_statements statements the advice helps, for the report's statements table."""
    total = sum(s.total_ms or 0.0 for s in advice.statements if s.source != "user")
    seen, rows = set(), []
    for stmts in advice.helped:
        for s in stmts:
            if id(s) in seen or s.source == "user" or not s.calls:
                continue
            seen.add(id(s))
            rows.append({"query_id": s.label, "calls": s.calls, "total_ms": s.total_ms,
                         "share_pct": 100 * (s.total_ms or 0.0) / total if total else 0.0,
                         "mean_ms": (s.total_ms or 0.0) / s.calls, "query": " ".join(s.text.split())[:500]})
    return sorted(rows, key=lambda r: -(r["total_ms"] or 0))
