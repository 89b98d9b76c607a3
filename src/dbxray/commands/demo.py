"""``dbxray demo``: a throwaway PostgreSQL with a seeded shop, its planted problems, and the report on it."""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import time
from pathlib import Path

import typer

from dbxray.commands.common import (
    FailOnOption,
    Format,
    FormatOption,
    OutputOption,
    Severity,
    emit,
    exit_for,
)

# Time-based thresholds a demo of a few seconds cannot reach with the defaults (a session idle
# for 5 minutes, statistics a week old). Only these are lowered, and the report says so.
DEMO_THRESHOLDS: dict[str, dict[str, float]] = {
    "idle_in_transaction": {"warn_s": 1.0},
    "lock_contention": {"min_wait_s": 1.0},
    "long_running_query": {"warn_s": 1.0},
    "unused_index": {"min_stats_days": 0.0},
}


def demo_config():
    """The default configuration with the demo's time-based thresholds lowered."""
    from dbxray.config import Config

    return Config(checks={name: dict(values) for name, values in DEMO_THRESHOLDS.items()})


def demo_note() -> str:
    lowered = ", ".join(f"{check}.{key} = {value:g}" for check, values in DEMO_THRESHOLDS.items()
                        for key, value in values.items())
    return ("demo: a throwaway server seeded with planted problems and a few seconds of traffic; time-based "
            f"thresholds were lowered so they can show within seconds ({lowered}); every other threshold is "
            "the default")


def _say(message: str) -> None:
    typer.echo(f"dbxray demo: {message}", err=True)


def _stop_command(sandbox) -> str:
    pg_ctl = shlex.quote(str(sandbox.bindir / "pg_ctl"))
    stop = f"{pg_ctl} -D {shlex.quote(str(sandbox.datadir))} -m fast stop"
    if sandbox.os_user:
        stop = f"runuser -u {shlex.quote(sandbox.os_user)} -- {stop}"
    return f"{stop} && rm -rf {shlex.quote(str(sandbox.root))}"


def _terminate_on_sigterm() -> None:
    """Ctrl-C, SIGTERM and SIGHUP become KeyboardInterrupt so the cleanup below always runs (the CLI
    installs the same handlers; this covers ``demo`` called from Python)."""
    from dbxray.cli import install_signal_handlers

    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.SIG_IGN, None):
        install_signal_handlers()


def _cleanup_shielded(sandbox) -> None:
    """The cleanup, not to be cut short by a second Ctrl-C (it would leave the server running)."""
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            previous[sig] = signal.signal(sig, signal.SIG_IGN)
    try:
        _cleanup(sandbox)
    finally:
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)


def _cleanup(sandbox) -> None:
    # a Ctrl-C during ``pg_ctl start`` can leave a server the sandbox does not know it started
    if sandbox.root and (sandbox.datadir / "postmaster.pid").exists():
        sandbox.running = True
    sandbox.stop()


def demo(
    fmt: Format = FormatOption,
    output: Path = OutputOption,
    fail_on: Severity = FailOnOption,
    keep: bool = typer.Option(False, "--keep", help="Leave the server running and print its DSN and how to stop it."),
    seconds: float = typer.Option(8.0, "--seconds", help="How long the shop's workload runs.", min=1.0, max=600.0),
) -> None:
    """Start a throwaway PostgreSQL, seed a shop with planted problems and traffic, and report on it."""
    from dbxray.connect import Limits, connect
    from dbxray.demo import shop
    from dbxray.demo.sandbox import POSTGRES_MISSING, PostgresSandbox, SandboxError, find_postgres_bindir
    from dbxray.errors import DbxrayError
    from dbxray.pipeline import live_report
    from dbxray.report import render

    started = time.monotonic()
    bindir = find_postgres_bindir()
    if bindir is None:
        raise SandboxError(POSTGRES_MISSING)
    _terminate_on_sigterm()
    sandbox = PostgresSandbox()
    rep = None
    try:
        _say(f"starting a throwaway PostgreSQL from {bindir}")
        sandbox.start()
        _say(f"server on port {sandbox.port}, data in {sandbox.root}")
        sandbox.psql("CREATE DATABASE shop")
        dsn = sandbox.dsn("shop")
        t0 = time.monotonic()
        shop.seed(dsn, progress=lambda name: _say(f"seeding the shop: {name}"))
        _say(f"seeded in {time.monotonic() - t0:.1f} s")
        _say(f"running the shop's workload for {seconds:g} s (2 web clients, 1 back office)")
        stats = shop.run_workload(dsn, seconds, min_calls=shop.MIN_CALLS)
        if stats.errors:
            raise DbxrayError("demo workload failed: " + "; ".join(stats.errors[:3]))
        _say(f"{stats.statements:,} statements run")
        _say("holding an idle transaction and a blocked checkout open while collecting")
        with connect(dsn, Limits()) as session, shop.incidents(dsn):
            time.sleep(1.5)  # long enough to pass the lowered time thresholds
            _say("collecting, checking, planning the top statements, proving index advice")
            _snap, rep = live_report(session, demo_config())  # exactly what `dbxray report` runs
        rep.notes.append(demo_note())
        color = fmt == Format.text and output is None and sys.stdout.isatty()
        text = render(rep, fmt.value, color=color)
    except KeyboardInterrupt:
        _say("interrupted: cleaning up")
        _cleanup_shielded(sandbox)
        raise
    except BaseException:
        _cleanup(sandbox)
        raise
    if keep:
        _say(f"the server keeps running: {sandbox.dsn('shop')}")
        _say(f"stop it with: {_stop_command(sandbox)}")
    else:
        _say("stopping the server and removing its data")
        _cleanup(sandbox)
    _say(f"done in {time.monotonic() - started:.1f} s")
    emit(text, output)
    exit_for(rep, fail_on)


__all__ = ["DEMO_THRESHOLDS", "demo", "demo_config"]
