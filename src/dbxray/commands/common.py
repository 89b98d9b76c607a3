"""Options and helpers shared by the commands."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import typer


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    prometheus = "prometheus"  # node_exporter textfile collector (dbxray.report.prometheus)


class Severity(StrEnum):
    critical = "critical"
    warning = "warning"
    info = "info"


DSN_HELP = ("Connection string: postgresql://…, mysql://… or mariadb://…. Defaults to $DATABASE_URL, "
            "then the libpq environment (PGHOST, PGUSER, …, ~/.pgpass).")

DsnOption = typer.Option(None, "--dsn", "-d", help=DSN_HELP, show_default=False)
FormatOption = typer.Option(Format.text, "--format", "-f",
                            help="Output format (html: one self-contained page, e.g. -o report.html; prometheus: "
                                 "node_exporter textfile metrics).")
OutputOption = typer.Option(None, "--output", "-o", help="Write the report to this file instead of stdout.",
                            dir_okay=False)
FailOnOption = typer.Option(None, "--fail-on",
                            help="Exit with code 1 when a finding at or above this severity exists (CI gates).")
ConfigOption = typer.Option(None, "--config", "-c", help="TOML file with threshold overrides (default ./dbxray.toml).",
                            dir_okay=False)
StatementTimeoutOption = typer.Option(30.0, "--statement-timeout", help="Seconds any one query may run.", min=0.1)
ConnectTimeoutOption = typer.Option(5, "--connect-timeout", help="Seconds to wait for the server to answer.",
                                    min=1)


@contextlib.contextmanager
def progress(message: str, enabled: bool = True) -> Iterator[callable]:
    """A spinner on stderr (never stdout, which may carry JSON); yields an update function."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _name: None
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status(message) as status:
        yield lambda name: status.update(f"{message} {name}")


def write_atomic(path: Path, text: str) -> None:
    """Write ``path.tmp`` then rename it over ``path``: whoever reads the file (a textfile collector, a
    web server, the next cron run) sees the old report or the new one, never half of one. Only for a
    regular file: ``-o /dev/null``, ``-o /dev/stdout`` or a named pipe is written in place (renaming
    over a device would replace it with a file)."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with path.open("w", encoding="utf-8") as fh:
            fh.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def emit(text: str, output: Path | None) -> None:
    if output:
        write_atomic(output, text)
        typer.echo(f"dbxray: wrote {output}", err=True)
    else:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()


EXIT_FINDINGS = 1  # --fail-on matched
EXIT_INCOMPLETE = 4  # the report was written, but a source it needs is missing (e.g. pg_stat_statements)

AllowPartialOption = typer.Option(False, "--allow-partial",
                                  help="Exit 0 even when statement statistics are unavailable (default: exit 4).")


LlmOption = typer.Option(False, "--llm", help="Add Claude's review: grounded findings marked AI, beside the "
                         "rule report (needs ANTHROPIC_API_KEY; see docs/llm.md).")
LlmDryRunOption = typer.Option(False, "--llm-dry-run", help="Print the exact Messages API request body (JSON) "
                               "and exit: nothing is sent, no key needed.")
ModelOption = typer.Option(None, "--model", help="Claude model (default: $DBXRAY_LLM_MODEL, [llm] model, "
                           "then dbxray's default).", show_default=False)


def llm_settings_for(cfg, model: str | None, wanted: bool, dry_run: bool):
    """The LLM settings when --llm or --llm-dry-run is given (else None); a missing key is exit 2 now."""
    if not (wanted or dry_run):
        return None
    from dbxray.llm.settings import require_key, resolve_settings

    settings = resolve_settings(cfg, model)
    if not dry_run:
        require_key()
    return settings


def dry_run_report(report, snapshot, settings, baseline) -> str:
    """The exact request body ``--llm`` would send (an evidence too large is one line, exit 2)."""
    from dbxray.errors import BadInput
    from dbxray.llm.advise import dry_run
    from dbxray.llm.client import LLMFailure

    try:
        return dry_run(report, snapshot, settings, baseline)
    except LLMFailure as failure:
        raise BadInput(f"llm: {failure.message}") from None


def advise_report(report, snapshot, settings, baseline, allow_partial: bool) -> None:
    """The model's review added to ``report``; a failure is one line (here with --allow-partial,
    else through exit_for's incomplete line)."""
    from dbxray.llm.advise import advise

    failure = advise(report, snapshot, settings, baseline)
    if failure is not None and allow_partial:
        typer.echo(f"dbxray: llm: {failure.message} (the rule report is complete)", err=True)


def code_for(report, fail_on: Severity | str | None, allow_partial: bool = False) -> tuple[int, str]:
    """(exit code, the line saying why): 0 fine, 1 findings at --fail-on, 4 report incomplete."""
    from dbxray.findings import at_or_above

    if fail_on is not None:
        hits = at_or_above(report.findings, str(fail_on))
        if hits:
            return EXIT_FINDINGS, f"{len(hits)} finding(s) at or above {fail_on}"
    if report.incomplete and not allow_partial:
        return EXIT_INCOMPLETE, f"incomplete: {'; '.join(report.incomplete)}"
    return 0, ""


def exit_for(report, fail_on: Severity | None, allow_partial: bool = False, floor: int = 0) -> None:
    """Exit codes: 0 fine, 1 findings at --fail-on, 4 report incomplete; errors exit 2 earlier. ``floor``:
    a code something after the report already earned (a failed --webhook POST: 4)."""
    code, why = code_for(report, fail_on, allow_partial)
    if why:
        typer.echo(f"dbxray: {why}", err=True)
    if max(code, floor):
        raise typer.Exit(max(code, floor))
