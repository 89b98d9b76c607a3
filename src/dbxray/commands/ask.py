"""``dbxray ask``: one question about a live database, answered by Claude from the report's evidence."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from dbxray.commands.common import (
    AllowPartialOption,
    ConfigOption,
    ConnectTimeoutOption,
    DsnOption,
    Format,
    FormatOption,
    LlmDryRunOption,
    ModelOption,
    OutputOption,
    StatementTimeoutOption,
    emit,
    progress,
)

EXIT_INCOMPLETE = 4


def ask(
    question: str = typer.Argument(..., help="The question, e.g. \"why did checkout get slow?\"", show_default=False),
    dsn: str = DsnOption,
    fmt: Format = FormatOption,
    output: Path = OutputOption,
    config: Path = ConfigOption,
    model: str = ModelOption,
    llm_dry_run: bool = LlmDryRunOption,
    max_tool_calls: int = typer.Option(None, "--max-tool-calls", min=0, max=50, show_default=False,
                                       help="Read-only tool calls the model may make (default 8)."),
    statement_timeout: float = StatementTimeoutOption,
    connect_timeout: int = ConnectTimeoutOption,
    no_progress: bool = typer.Option(False, "--no-progress", help="No spinner on stderr."),
    allow_partial: bool = AllowPartialOption,
) -> None:
    """Ask Claude about a live database: a grounded answer from the report's evidence and read-only tools."""
    from dbxray.config import load_config
    from dbxray.connect import Limits, connect
    from dbxray.errors import BadInput
    from dbxray.llm.client import LLMFailure
    from dbxray.llm.evidence import statement_rows
    from dbxray.llm.settings import require_key, resolve_settings
    from dbxray.pipeline import live_report

    if not question.strip():
        raise BadInput("the question is empty")
    cfg = load_config(config)
    settings = resolve_settings(cfg, model)
    if max_tool_calls is not None:
        settings.max_tool_calls = max_tool_calls
    if not llm_dry_run:
        require_key()  # before any connection
    limits = Limits(connect_timeout=connect_timeout, statement_timeout=statement_timeout)
    with connect(dsn, limits) as session:
        with progress("collecting", enabled=not no_progress) as tick:
            snap, rep = live_report(session, cfg, None, tick)
        rows = statement_rows(snap)
        if llm_dry_run:
            from dbxray.llm.ask import dry_run

            try:
                emit(dry_run(rep, snap, rows, settings, question.strip()), None)
            except LLMFailure as failure:
                raise BadInput(f"llm: {failure.message}") from None
            return
        from dbxray.llm.ask import ask as run

        answer = run(session, snap, rep, rows, settings, question.strip(),
                     on_tool=None if fmt == Format.json else _print_tool)  # JSON lists them in tool_calls
    emit(render(answer, rep, fmt), output)
    if answer.failure is not None:
        typer.echo(f"dbxray: llm: {answer.failure.message}"
                   + (" (the rule diagnosis is shown instead)" if fmt != Format.json else ""), err=True)
        if not allow_partial:
            raise typer.Exit(EXIT_INCOMPLETE)


def _print_tool(call) -> None:
    import json

    args = json.dumps(call.input, separators=(",", ":"), ensure_ascii=False)
    state = "error" if call.error else "ok"
    print(f"dbxray: tool {call.name} {args} -> {call.result_bytes:,} bytes, {call.ms:,.0f} ms ({state})",
          file=sys.stderr, flush=True)


def render(answer, report, fmt: Format) -> str:
    """The answer (or, when the model failed, the rule diagnosis) in the chosen format."""
    if fmt == Format.json:
        import json

        from dbxray.findings import jsonable

        data = answer.to_dict()
        data["diagnosis"] = report.diagnosis.to_dict() if report.diagnosis is not None else None
        return json.dumps(jsonable(data), indent=2, ensure_ascii=False)
    md = fmt == Format.markdown
    out = [f"# {answer.question}" if md else f"Q: {answer.question}", ""]
    if answer.failure is not None:
        out += [f"No AI answer: {answer.failure.message}.", "", "Rule diagnosis:" if not md else "## Rule diagnosis",
                "", report.diagnosis.summary if report.diagnosis is not None else "", ""]
        return "\n".join(out)
    label = f"🤖 AI answer ({answer.model})" if md else f"[AI] answer ({answer.model})"
    out += [f"## {label}" if md else label, "", answer.summary or "", ""]
    for f in answer.kept:
        agree = f" (agrees with {f.same_as})" if f.same_as else ""
        head = f"{f.severity.upper()} {f.check}: {f.title}{agree}"
        out.append(f"### {head} · 🤖 AI" if md else f"[AI] {head}")
        if f.object:
            out.append("  " + "  ".join(f"{k}={v}" for k, v in f.object.items()))
        out.append("  evidence: " + ", ".join(f.evidence.get("evidence_ids", [])))
        if f.recommendation:
            out.append("  fix: " + f.recommendation)
        if f.sql:
            out += (["```sql", f.sql, "```"] if md else ["  " + line for line in f.sql.splitlines()])
        out.append("")
    for d in answer.dropped:
        out.append(f"dropped: {d.get('title') or d.get('check')}: {d.get('reason')}")
    calls = len(answer.tool_calls)
    usage = answer.usage
    out += ["", f"{calls} tool call(s), {answer.requests} request(s), {usage.get('input_tokens', 0):,} input and "
                f"{usage.get('output_tokens', 0):,} output tokens"]
    return "\n".join(out).rstrip() + "\n"
