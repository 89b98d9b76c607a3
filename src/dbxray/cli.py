"""Commands only: options in, pipeline called, renderer chosen. Heavy imports stay inside commands."""

from __future__ import annotations

import gc
import os
import sys

import typer

from dbxray import __version__
from dbxray.commands import demo as demo_cmd
from dbxray.commands import explain as explain_cmd
from dbxray.commands import indexes as indexes_cmd
from dbxray.commands import report as report_cmd
from dbxray.errors import DbxrayError

app = typer.Typer(
    name="dbxray",
    help="Diagnose live PostgreSQL and MySQL/MariaDB performance: what is slow, why, and the SQL that fixes it.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dbxray {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """dbxray points at a live database and tells you what is slow, why, and what to do about it."""


app.command("report")(report_cmd.report)
app.command("demo")(demo_cmd.demo)
app.command("explain")(explain_cmd.explain)
app.command("indexes")(indexes_cmd.indexes)


def main() -> None:
    """Console entry point: every user-facing error is one line on stderr and a non-zero exit."""
    # a 10,000-table catalog is a million small containers, and the default thresholds run the cyclic
    # collector over all of them again and again: a sixth of the report's own CPU. Rarer collections.
    gc.set_threshold(100_000, 50, 100)
    try:
        app()
    except DbxrayError as exc:
        from dbxray.connect import redact

        typer.echo(f"dbxray: error: {redact(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("dbxray: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # never a traceback for the user unless asked for
        if os.environ.get("DBXRAY_DEBUG"):
            raise
        from dbxray.connect import redact

        typer.echo(f"dbxray: internal error: {exc.__class__.__name__}: {redact(str(exc))} "
                   "(set DBXRAY_DEBUG=1 for the traceback)", err=True)
        sys.exit(3)


if __name__ == "__main__":
    main()
