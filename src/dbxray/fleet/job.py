"""One target's run, as ``dbxray report --history`` does it for one database, in a worker thread.

Nothing raised here reaches the pool: every failure becomes the target's result (one line, its
exit code), so one bad target never stops the others. History is best effort per target: a store
that fails for this target costs its history (a warning, exit 2), never its report.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from dataclasses import dataclass
from typing import Any

from dbxray.errors import EXIT_ERROR, EXIT_INTERNAL, DbxrayError
from dbxray.fleet.result import TargetResult
from dbxray.fleet.targets import FleetTarget


@dataclass(frozen=True)
class JobSettings:
    """What every target's run shares: the global config, the session limits, the gates, the store."""

    config: Any
    limits: Any
    fail_on: str | None = None
    allow_partial: bool = False
    history: str | None = None  # store URL; None when there is none or it failed to open up front


def run_target(target: FleetTarget, settings: JobSettings) -> TargetResult:
    started = time.monotonic()
    secrets: list[str | None] = []
    try:
        dsn = target.resolve_dsn()
        secrets.append(_password(dsn))
        result = _report(target, dsn, settings)
    except DbxrayError as exc:
        result = TargetResult(target.name, code=exc.exit_code, error=_clean(str(exc), secrets))
    except Exception as exc:
        if os.environ.get("DBXRAY_DEBUG"):
            traceback.print_exc()
        result = TargetResult(target.name, code=EXIT_INTERNAL,
                              error=_clean(f"internal error: {exc.__class__.__name__}: {exc}", secrets))
    result.warnings = [_clean(w, secrets) for w in result.warnings]
    result.seconds = time.monotonic() - started
    return result


def _report(target: FleetTarget, dsn: str, settings: JobSettings) -> TargetResult:
    from dbxray.commands.common import code_for
    from dbxray.commands.report import _previous, _record_history, _trends
    from dbxray.connect import connect, parse_target
    from dbxray.fleet.targets import config_for
    from dbxray.pipeline import live_report
    from dbxray.store import open_store

    cfg = config_for(settings.config, target)
    warnings: list[str] = []
    floor = 0
    port = parse_target(dsn).port
    with contextlib.ExitStack() as stack:
        store = None
        if settings.history:
            try:  # this target's own connection to the store: SQLite and psycopg handles stay in one thread
                store = stack.enter_context(open_store(settings.history))
            except DbxrayError as exc:
                warnings.append(f"history store: {exc}; this run is not kept")
                floor = EXIT_ERROR
        found: dict[str, Any] = {}
        skipped: list[str] = []

        def baseline_of(new: Any) -> Any:
            nonlocal store, floor
            try:
                found["previous"] = _previous(store, new, port, name=target.name, skipped=skipped)
            except DbxrayError as exc:
                warnings.append(f"history store: {exc}; this run is not kept")
                store, floor = None, EXIT_ERROR
            return found.get("previous")

        with connect(dsn, settings.limits) as session:
            snap, rep = live_report(session, cfg, baseline_of if store else None)
        snap.meta.setdefault("port", port)
        for run_id in skipped:
            warnings.append(f"history: run {run_id} in {store.display if store else 'the store'} is damaged; "
                            "compared with the run before it (the damaged run is left in place)")
        if store is not None:
            try:
                _record_history(store, snap, rep, found.get("previous"), cfg, name=target.name)
                rep.extra["history"] = _trends(store, snap, rep, port, name=target.name)
            except DbxrayError as exc:
                warnings.append(f"history store: {exc}; this run is not kept")
                floor = EXIT_ERROR
    code, why = code_for(rep, settings.fail_on, settings.allow_partial)
    return TargetResult(target.name, rep, max(code, floor), why=why, warnings=warnings)


def _password(dsn: str) -> str | None:
    from dbxray.connect import parse_target

    try:
        return parse_target(dsn).password
    except DbxrayError:
        return None


def _clean(text: str, secrets: list[str | None]) -> str:
    """One line, no password: neither in URL or key=value form nor the resolved DSN's own."""
    from dbxray.connect import one_line

    return one_line(text, *secrets)
