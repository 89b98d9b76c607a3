"""Commands only: options in, pipeline called, renderer chosen. Heavy imports stay inside commands."""

from __future__ import annotations

import gc
import os
import sys
import time

import typer

from dbxray import __version__
from dbxray.commands import ask as ask_cmd
from dbxray.commands import demo as demo_cmd
from dbxray.commands import diff as diff_cmd
from dbxray.commands import explain as explain_cmd
from dbxray.commands import history as history_cmd
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
app.command("history")(history_cmd.history)
app.command("diff")(diff_cmd.diff)
app.command("ask")(ask_cmd.ask)


_STOPPED_BY: list[int] = []  # the signals received, in order
_STOPPING_SINCE: list[float] = []  # when the first one arrived (monotonic)
FORCE_AFTER_S = 5.0  # a further signal this long into a clean stop ends the process at once


def install_signal_handlers() -> None:
    """Ctrl-C, SIGTERM and SIGHUP stop dbxray promptly and cleanly, at any moment of any command.

    Each becomes a KeyboardInterrupt in the main thread, so every ``with``/``finally`` runs: sessions
    closed (the server rolls back whatever was open, and with the session go its prepared statements
    and HypoPG's hypothetical indexes), ``--verify``'s transaction rolled back, the demo's throwaway
    server removed; then exit 128 + the signal (130 for Ctrl-C). SIGINT is installed even when
    dbxray was started with it ignored (a background job of a non-interactive shell, some CI
    runners): otherwise Ctrl-C would be silently ignored. A SIGHUP ignored on purpose (``nohup``)
    stays ignored.

    Only the first signal raises: a second one (an impatient Ctrl-C) must not cut the cleanup short
    (a traceback, a demo server left running), so it is ignored, unless the clean stop has already
    taken ``FORCE_AFTER_S`` (a server that no longer answers a cancel): then dbxray says so and exits
    at once, as a user pressing Ctrl-C again expects."""
    import signal

    _STOPPED_BY.clear()
    _STOPPING_SINCE.clear()

    def stop(signum, frame):
        _STOPPED_BY.append(signum)
        if len(_STOPPED_BY) == 1:
            _STOPPING_SINCE.append(time.monotonic())
            raise KeyboardInterrupt
        if time.monotonic() - _STOPPING_SINCE[0] >= FORCE_AFTER_S:
            os.write(2, b"dbxray: interrupted again: exiting without finishing the cleanup\n")
            os._exit(128 + _STOPPED_BY[0])

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            if sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN:
                continue
            signal.signal(sig, stop)
        except (ValueError, OSError):  # not the main thread (embedded), or unsupported here
            pass


def main() -> None:
    """Console entry point: every user-facing error is one line on stderr and a non-zero exit."""
    install_signal_handlers()
    from dbxray import pacing

    # this process is dbxray's own: it may yield to a busy server, and its start is a step of the report;
    # given back when main() returns (a caller running main() in-process keeps its own process as it was)
    flags = pacing.LOWER_PRIORITY_WHEN_BUSY, pacing.PACE_PROCESS_START
    pacing.LOWER_PRIORITY_WHEN_BUSY = pacing.PACE_PROCESS_START = True
    # a 10,000-table catalog is a million small containers, and the default thresholds run the cyclic
    # collector over all of them again and again: a sixth of the report's own CPU. Rarer collections.
    gc.set_threshold(100_000, 50, 100)
    try:
        _run_app()
    finally:
        pacing.LOWER_PRIORITY_WHEN_BUSY, pacing.PACE_PROCESS_START = flags


def _run_app() -> None:
    try:
        app()
    except DbxrayError as exc:
        from dbxray.connect import redact

        typer.echo(f"dbxray: error: {redact(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit as exc:  # typer turns a KeyboardInterrupt into a silent exit 130
        if exc.code == 130 and (_STOPPED_BY or _caused_by_interrupt(exc)):
            _interrupted()
        raise
    except Exception as exc:  # never a traceback for the user unless asked for
        if _STOPPED_BY or _caused_by_interrupt(exc):
            # a signal arrived and cleanup met a connection still busy with the cancelled query
            # ("another command is already in progress"): that is the interrupt, not a bug
            _interrupted()
        if os.environ.get("DBXRAY_DEBUG"):
            raise
        from dbxray.connect import redact

        typer.echo(f"dbxray: internal error: {exc.__class__.__name__}: {redact(str(exc))} "
                   "(set DBXRAY_DEBUG=1 for the traceback)", err=True)
        sys.exit(3)


def _caused_by_interrupt(exc: BaseException) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _interrupted() -> None:
    """One line, then exit 128 + the signal (130 for Ctrl-C, 143 for SIGTERM)."""
    _ignore_further_signals()
    typer.echo("dbxray: interrupted", err=True)
    sys.exit(128 + (_STOPPED_BY[0] if _STOPPED_BY else 2))


def _ignore_further_signals() -> None:
    """A second Ctrl-C while dbxray is already exiting must not turn into a traceback."""
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (ValueError, OSError):
            pass


if __name__ == "__main__":
    main()
