"""``dbxray report --all``: every ``[targets.NAME]``, at most ``--jobs`` at a time, then the summary.

Outputs: with ``-o DIR`` one file per target (``DIR/<name>.<ext>``, written atomically as each
target finishes) and the summary table on stderr; without it the reports on stdout (text and
Markdown one after the other, then the table; JSON one document; Prometheus one exposition) and
the table on stderr when stdout is machine-read. Exit code: the highest of the targets' codes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbxray.errors import BadInput, DbxrayError
from dbxray.fleet.job import EXIT_ERROR, EXIT_INTERNAL, JobSettings, run_target
from dbxray.fleet.pool import run_bounded
from dbxray.fleet.result import TargetResult
from dbxray.fleet.summary import fleet_code, render_summary

EXTENSIONS = {"text": "txt", "json": "json", "markdown": "md", "prometheus": "prom", "html": "html"}
MACHINE_FORMATS = ("json", "prometheus")
EXIT_INCOMPLETE = 4


@dataclass(frozen=True)
class FleetOptions:
    fmt: str = "text"
    output_dir: Path | None = None
    jobs: int = 4
    diagnosis_only: bool = False
    webhook: str | None = None
    keep_days: float | None = None
    progress: bool = True


def say(line: str) -> None:
    """One line on stderr; through ``sys.stderr`` as it is now, so a live spinner prints it above itself."""
    sys.stderr.write(f"dbxray: {line}\n")
    sys.stderr.flush()


def run_all(settings: JobSettings, options: FleetOptions) -> int:
    """Run every target of ``settings.config``; return the exit code (the caller exits with it)."""
    from dbxray.commands.common import progress

    config = settings.config
    targets = list(config.targets.values())
    if not targets:
        where = config.path or "dbxray.toml"
        raise BadInput(f"--all: no [targets.NAME] in {where}; add one per database (dsn_env = \"VAR\")")
    if options.output_dir is not None and options.output_dir.exists() and not options.output_dir.is_dir():
        raise BadInput(f"-o {options.output_dir}: with --all, -o names a directory (one report per target)")
    floor = 0
    if settings.history and not _probe_store(settings.history):
        settings, floor = dataclasses.replace(settings, history=None), EXIT_ERROR
    results: list[Any] = [None] * len(targets)
    rendered: dict[str, str] = {}
    with progress("dbxray --all", enabled=options.progress) as tick:
        def finished(i: int, outcome: TargetResult | BaseException) -> None:
            """In this thread, as each target ends: its lines on stderr, its file in DIR."""
            result = results[i] = _as_result(targets[i].name, outcome)
            _announce(result)
            if result.ok or options.fmt == "prometheus":  # a failure is news to the metrics too
                rendered[result.name] = _render(result, options)
                if options.output_dir is not None:
                    _write(options.output_dir, result, rendered[result.name], options.fmt)
            tick(f"{sum(r is not None for r in results)}/{len(targets)} done")

        try:
            run_bounded(targets, lambda t: run_target(t, settings), options.jobs, finished)
        except KeyboardInterrupt:  # the CLI exits 130; say what is left, the stuck targets are abandoned
            done = sum(r is not None for r in results)
            say(f"interrupted: {done} of {len(targets)} target(s) finished (their files are complete), "
                f"{len(targets) - done} stopped")
            raise
    if options.keep_days and settings.history:
        floor = max(floor, _prune(settings.history, options.keep_days))
    code = max(fleet_code(results), floor)
    if options.webhook:
        from dbxray.report.webhook import notify

        failure = notify(options.webhook, results, code)
        if failure:
            say(f"{failure}; the reports were written")
            code = max(code, EXIT_INCOMPLETE)
    _finish(results, rendered, options, code)
    return code


def _as_result(name: str, result: TargetResult | BaseException) -> TargetResult:
    if isinstance(result, TargetResult):
        return result
    from dbxray.connect import one_line

    return TargetResult(name, code=EXIT_INTERNAL,
                        error=one_line(f"internal error: {result.__class__.__name__}: {result}"))


def _announce(r: TargetResult) -> None:
    """The one line a failing target gets (and one per warning), as soon as it finishes."""
    for warning in r.warnings:
        say(f"{r.name}: {warning}")
    if not r.ok:
        say(f"{r.name}: {'' if r.error.startswith('internal error') else 'error: '}{r.error}")
    elif r.why:
        say(f"{r.name}: {r.why}")


def _render(r: TargetResult, options: FleetOptions) -> str:
    if options.fmt == "prometheus":
        from dbxray.report.prometheus import render_results

        return render_results([r])
    from dbxray.report import render

    try:
        return render(r.report, options.fmt, color=False, diagnosis_only=options.diagnosis_only)
    except Exception as exc:  # a renderer bug costs this target's file, not the fleet
        r.code, r.error = max(r.code, EXIT_INTERNAL), f"internal error rendering: {exc.__class__.__name__}: {exc}"
        say(f"{r.name}: {r.error}")
        return ""


def _write(directory: Path, r: TargetResult, text: str, fmt: str) -> None:
    from dbxray.commands.common import write_atomic

    if not text:
        return
    path = directory / f"{r.name}.{EXTENSIONS.get(fmt, fmt)}"
    try:
        write_atomic(path, text)
    except OSError as exc:
        r.code = max(r.code, EXIT_ERROR)
        r.warnings.append(f"cannot write {path}: {exc.strerror or exc}")
        say(f"{r.name}: cannot write {path}: {exc.strerror or exc}")


def _probe_store(url: str) -> bool:
    """Open the store once up front: an unreachable, read-only or too-new store is one line for the
    fleet (not one per target), and the reports are still written, without history."""
    from dbxray.store import open_store

    try:
        with open_store(url):
            return True
    except DbxrayError as exc:
        say(f"error: history store: {exc}; the reports are written without history")
        return False


def _prune(url: str, keep_days: float) -> int:
    from dbxray.store import open_store

    try:
        with open_store(url) as store:
            store.prune(keep_days)
        return 0
    except DbxrayError as exc:
        say(f"error: history store: --keep-days: {exc}")
        return exc.exit_code


def _finish(results: list[TargetResult], rendered: dict[str, str], options: FleetOptions, code: int) -> None:
    """Stdout (the reports, when no -o) and the summary table."""
    table = render_summary(results, code)
    if options.output_dir is not None:
        written = sum(1 for r in results if rendered.get(r.name))
        sys.stderr.write(table)
        say(f"wrote {written} report(s) to {options.output_dir}")
        return
    if options.fmt == "prometheus":
        from dbxray.report.prometheus import render_results

        sys.stdout.write(render_results(results))
    elif options.fmt == "json":
        sys.stdout.write(json.dumps(_fleet_document(results, rendered, code), indent=2, ensure_ascii=False) + "\n")
    else:
        for r in results:
            if rendered.get(r.name):
                rule = f"── {r.name} " + "─" * max(3, 60 - len(r.name))
                sys.stdout.write(f"{rule}\n" if options.fmt == "text" else f"<!-- dbxray target: {r.name} -->\n")
                sys.stdout.write(rendered[r.name].rstrip("\n") + "\n\n")
    stream = sys.stderr if options.fmt in MACHINE_FORMATS else sys.stdout
    with contextlib.suppress(BrokenPipeError):
        stream.write(table)
        stream.flush()


def _fleet_document(results: list[TargetResult], rendered: dict[str, str], code: int) -> dict[str, Any]:
    """``--all --format json`` on stdout: each target's report under its name (the report contract)."""
    from dbxray.report.build import SCHEMA_VERSION

    out = []
    for r in results:
        item: dict[str, Any] = {"name": r.name, "exit_code": r.code, "status": r.status,
                                "seconds": round(r.seconds, 3)}
        if r.ok and rendered.get(r.name):
            item["report"] = json.loads(rendered[r.name])  # what -o DIR would hold (brief with --diagnosis-only)
        else:
            item["error"] = r.error
        if r.warnings:
            item["warnings"] = list(r.warnings)
        out.append(item)
    return {"schema_version": SCHEMA_VERSION, "kind": "fleet", "exit_code": code, "targets": out}
