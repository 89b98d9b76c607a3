"""``dbxray explain``: one statement's plan, where its time goes, why, and what to change."""

from __future__ import annotations

import sys
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
)


def explain(
    statement: str = typer.Argument(None, help="The statement to explain (one only). With --plan-file it is "
                                    "only read, to give the analysis the query text.", show_default=False),
    dsn: str = DsnOption,
    analyze: bool = typer.Option(False, "--analyze", help="Run the statement (EXPLAIN ANALYZE, BUFFERS, WAL) to "
                                 "measure it; a data-changing statement runs in a transaction that is rolled back."),
    query_id: str = typer.Option(None, "--query-id", help="Plan a statement from pg_stat_statements (its queryid) "
                                 "generically.", show_default=False),
    plan_file: str = typer.Option(None, "--plan-file", help="Analyse a saved plan (EXPLAIN FORMAT JSON or text; "
                                  "'-' for stdin) without any database.", show_default=False),
    fmt: Format = FormatOption,
    output: Path = OutputOption,
    fail_on: Severity = FailOnOption,
    config: Path = ConfigOption,
    statement_timeout: float = StatementTimeoutOption,
    connect_timeout: int = ConnectTimeoutOption,
) -> None:
    """Explain one statement: the plan tree with time bars, the hot nodes, and what to change."""
    import time

    from dbxray.config import load_config
    from dbxray.errors import BadInput

    started = time.monotonic()
    cfg = load_config(config)
    given = sum(x is not None for x in (plan_file, query_id)) + (statement is not None and plan_file is None)
    if given != 1:
        raise BadInput("give exactly one of: a statement, --query-id ID, or --plan-file FILE")
    if plan_file is not None:
        report, plan, findings = _offline(plan_file, statement, started, cfg)
    else:
        report, plan, findings = _live(dsn, statement, query_id, analyze, statement_timeout, connect_timeout,
                                       started, cfg)
    emit(_render(report, plan, findings, fmt, output), output)
    exit_for(report, fail_on)


def _offline(plan_file: str, statement: str | None, started: float, config):
    from dbxray.errors import BadInput
    from dbxray.plans.load import parse_plan_text
    from dbxray.plans.report import analyse, build_explain_report

    limit = max_plan_bytes()
    too_big = (f"the plan is larger than {limit // 2**20} MB, more than any EXPLAIN output dbxray reads "
               "(DBXRAY_MAX_PLAN_MB raises the limit): refused rather than exhausting memory")
    if plan_file == "-":
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise BadInput(too_big)
    else:
        path = Path(plan_file)
        if not path.is_file():
            raise BadInput(f"plan file {plan_file} does not exist")
        if path.stat().st_size > limit:
            raise BadInput(f"plan file {plan_file}: {too_big}")
        data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"plan file {plan_file} is not UTF-8 text" if plan_file != "-" else
                       "the plan on stdin is not UTF-8 text") from None
    del data
    plan = parse_plan_text(text, statement)
    findings = analyse(plan, config=config)
    target = {"engine": plan.engine, "flavor": plan.flavor, "server_version": "", "database": None,
              "host": None, "source": "plan-file" if plan_file != "-" else "stdin",
              "file": Path(plan_file).name if plan_file != "-" else None}
    notes = ["offline plan: no database was queried, so statistics age, existing indexes and settings are unknown"]
    return build_explain_report(plan, findings, target, started, notes), plan, findings


def max_plan_bytes() -> int:
    """The largest plan read (default 64 MB: a plan of thousands of nodes is a few MB of JSON; its parsed
    tree takes several times the text in memory)."""
    import os

    try:
        return int(float(os.environ.get("DBXRAY_MAX_PLAN_MB", "64")) * 2**20)
    except ValueError:
        return 64 * 2**20


def _live(dsn, statement, query_id, analyze, statement_timeout, connect_timeout, started, config):
    from dbxray import engine
    from dbxray.connect import Limits, connect
    from dbxray.errors import BadInput
    from dbxray.plans.report import analyse, build_explain_report
    from dbxray.plans.run import explain as run_explain

    limits = Limits(connect_timeout=connect_timeout, statement_timeout=statement_timeout)
    with connect(dsn, limits) as session:
        eng = engine.of(session)
        summary = {}
        if query_id is not None:
            statement = eng.statement_text(session, query_id)
            summary["query_id"] = str(query_id)
            if analyze and "$1" in statement:
                raise BadInput("a pg_stat_statements entry has $n parameters without values: it can only be "
                               "planned (drop --analyze)")
        plan = run_explain(session, statement, analyze=analyze)
        notes = eng.analyze_notes(eng.inspect(statement)) if analyze else []
        findings = analyse(plan, catalog=eng.plan_catalog(session), config=config)
        if any(f.check == "missing_index" for f in findings):
            findings = eng.prove_plan_indexes(session, statement, findings)
        if query_id is not None:
            for f in findings:
                f.object["query_id"] = str(query_id)
        target = {"engine": session.engine, "flavor": eng.flavor(session),
                  "server_version": session.server_version, "database": session.database,
                  "host": session.target.host}
        report = build_explain_report(plan, findings, target, started, notes=notes, summary=summary)
        return report, plan, findings


def _render(report, plan, findings, fmt: Format, output: Path | None) -> str:
    from dbxray.report import render

    if fmt != Format.text:
        return render(report, fmt.value)
    from dbxray.plans.render import render_terminal
    from dbxray.report.text import render_text

    color = output is None and sys.stdout.isatty()
    return render_text(report, color=color, width=120, body=render_terminal(plan, findings, color=color))
