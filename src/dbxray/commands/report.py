"""``dbxray report``: the health report of one database."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from dbxray.commands.common import (
    AllowPartialOption,
    ConfigOption,
    ConnectTimeoutOption,
    DsnOption,
    FailOnOption,
    Format,
    FormatOption,
    LlmDryRunOption,
    LlmOption,
    ModelOption,
    Severity,
    StatementTimeoutOption,
    advise_report,
    dry_run_report,
    emit,
    llm_settings_for,
    progress,
)
from dbxray.commands.schedule import Outcome, parse_interval, repeat
from dbxray.errors import BadInput

OutputOption = typer.Option(None, "--output", "-o", help="Write the report to this file instead of stdout; with "
                            "--all a directory: one DIR/<target>.<ext> per target.")


def report(
    dsn: str = DsnOption,
    fmt: Format = FormatOption,
    output: Path = OutputOption,
    fail_on: Severity = FailOnOption,
    config: Path = ConfigOption,
    save: Path = typer.Option(None, "--save", help="Also save the collected snapshot (JSON, .gz ok) for "
                              "later diffs.", dir_okay=False),
    baseline: Path = typer.Option(None, "--baseline", help="An older snapshot: report the workload between "
                                  "it and now (deltas, not totals since the last reset).", dir_okay=False),
    history: str = typer.Option(None, "--history", envvar="DBXRAY_HISTORY", show_default=False,
                                help="History store of earlier runs (cron): a directory, sqlite:///path.db or "
                                     "postgresql://…; report the interval since the last run of this database "
                                     "and what changed, then save this run there."),
    keep_days: float = typer.Option(None, "--keep-days", min=0.001, show_default=False,
                                    help="With --history: then remove runs older than this many days."),
    snapshot: Path = typer.Option(None, "--snapshot", help="Report from a saved snapshot instead of "
                                  "connecting (rule checks only: no plans, no index proof).", dir_okay=False),
    statement_timeout: float = StatementTimeoutOption,
    connect_timeout: int = ConnectTimeoutOption,
    no_progress: bool = typer.Option(False, "--no-progress", help="No spinner on stderr."),
    allow_partial: bool = AllowPartialOption,
    raw_queries: bool = typer.Option(False, "--raw-queries",
                                     help="Keep other sessions' statement text exactly as the server gives it, "
                                          "literals included (they can hold passwords and personal data), in the "
                                          "report, --save and --history. Default: every literal becomes a "
                                          "placeholder ($1 / ?) and comments are dropped, as in "
                                          "pg_stat_statements."),
    diagnosis_only: bool = typer.Option(False, "--diagnosis-only", help="Print only the ranked bottlenecks (cause, "
                                        "impact, fix): for chat and cron mail."),
    all_targets: bool = typer.Option(False, "--all", help="Report on every [targets.NAME] of the config file "
                                     "(the fleet), then print a summary table; exit code: the highest of theirs."),
    jobs: int = typer.Option(None, "--jobs", "-j", min=1, max=64, show_default=False,
                             help="With --all: how many targets at once (default 4)."),
    webhook: str = typer.Option(None, "--webhook", envvar="DBXRAY_WEBHOOK", show_default=False,
                                help="POST a JSON summary (Slack-compatible 'text': targets, counts, top "
                                     "bottlenecks) to this URL; a failed POST exits 4."),
    pace: str = typer.Option(None, "--pace", show_default=False,
                             help="On a busy server (4+ other sessions at work), pause between collectors so "
                                  "dbxray keeps its connection busy at most this share of the time: auto (0.1, "
                                  "the default; 0.03 with --every), off, or a number between 0 and 1. An idle "
                                  "server is read at full speed."),
    every: str = typer.Option(None, "--every", show_default=False,
                              help="Stay up and report again every interval (30s, 5m, 1h; 0 = back to back), "
                                   "from the start of one run to the next: a service instead of cron, which "
                                   "spares the server an interpreter start per run. Each report after the first "
                                   "covers the interval since the previous run; -o and --save are rewritten, "
                                   "--history keeps them all. A failed run is a line on stderr and the schedule "
                                   "goes on. Stop with Ctrl-C or SIGTERM."),
    count: int = typer.Option(None, "--count", min=1, show_default=False,
                              help="With --every: stop after this many runs; the exit code is then the highest "
                                   "of theirs."),
    llm: bool = LlmOption,
    llm_dry_run: bool = LlmDryRunOption,
    model: str = ModelOption,
) -> None:
    """Collect statistics from a live database and report what is slow, why, and the fix."""
    from dbxray.config import load_config
    from dbxray.connect import Limits, parse_target
    from dbxray.snapshot import Snapshot

    schedule = None
    if every is not None:
        clashing = [flag for flag, value in (("--snapshot", snapshot), ("--llm-dry-run", llm_dry_run)) if value]
        if clashing:
            raise BadInput(f"--every reports on a live database again and again; it cannot be combined with "
                           f"{', '.join(clashing)}")
        schedule = parse_interval(every), count
    elif count is not None:
        raise BadInput("--count applies to --every only")
    cfg = load_config(config)
    if pace is not None:
        from dbxray.pacing import parse_pace

        parse_pace(pace)  # a bad value is one line, before connecting
        cfg.report["pace"] = pace
    if schedule is not None and cfg.report.get("pace", "auto") == "auto":
        from dbxray.pacing import SCHEDULED_SHARE

        cfg.report["pace"] = SCHEDULED_SHARE  # a service yields more than a report someone waits for
    llm_settings = llm_settings_for(cfg, model, llm, llm_dry_run)  # a missing key fails here, before connecting
    if webhook:
        from dbxray.report.webhook import check_url

        check_url(webhook)
    if all_targets:
        clashing = [flag for flag, value in (("--dsn", dsn), ("--snapshot", snapshot), ("--baseline", baseline),
                                             ("--save", save), ("--llm", llm), ("--llm-dry-run", llm_dry_run))
                    if value]
        if clashing:
            raise BadInput(f"--all takes each target's DSN from [targets.NAME]; it cannot be combined with "
                           f"{', '.join(clashing)} (--history keeps every target's runs)")
        from dbxray.fleet import FleetOptions, JobSettings, run_all

        limits = Limits(connect_timeout=connect_timeout, statement_timeout=statement_timeout)
        settings = JobSettings(cfg, limits, fail_on.value if fail_on else None, allow_partial, history)
        options = FleetOptions(fmt=fmt.value, output_dir=output, jobs=jobs or 4, diagnosis_only=diagnosis_only,
                               webhook=webhook, keep_days=keep_days, progress=not no_progress)
        if schedule is None:
            raise typer.Exit(run_all(settings, options))
        raise typer.Exit(repeat(lambda n: Outcome(run_all(settings, options)), schedule[0], schedule[1]))
    if jobs is not None:
        raise BadInput("--jobs applies to --all only")
    if output is not None and output.is_dir():
        raise BadInput(f"-o {output} is a directory: give a file name (a directory is for --all)")
    single = SingleReport(
        dsn=dsn, fmt=fmt, output=output, fail_on=fail_on, cfg=cfg, save=save,
        baseline=Snapshot.load(baseline) if baseline else None, history=history, keep_days=keep_days,
        snapshot=snapshot, limits=Limits(connect_timeout=connect_timeout, statement_timeout=statement_timeout),
        progress=not no_progress, allow_partial=allow_partial, raw_queries=raw_queries,
        diagnosis_only=diagnosis_only, webhook=webhook, llm_settings=llm_settings, llm_dry_run=llm_dry_run)
    if schedule is None:
        code = single.run(1).code
        if code:
            raise typer.Exit(code)
        return
    parse_target(dsn)  # a malformed DSN is one line now, not a failed run every interval
    raise typer.Exit(repeat(single.run, schedule[0], schedule[1]))


@dataclass
class SingleReport:
    """One database's report, made once or on a schedule (``--every``): ``run(n)`` is the n-th."""

    dsn: str | None
    fmt: Format
    output: Path | None
    fail_on: Severity | None
    cfg: Any
    save: Path | None
    baseline: Any  # --baseline's snapshot: the first run's interval starts there
    history: str | None
    keep_days: float | None
    snapshot: Path | None
    limits: Any
    progress: bool
    allow_partial: bool
    raw_queries: bool
    diagnosis_only: bool
    webhook: str | None
    llm_settings: Any
    llm_dry_run: bool
    # --every without a store: the previous run is the next one's baseline (as --history would give), and
    # the statements of the run before it, for the regression check; nothing older is kept
    last: Any = None

    def run(self, n: int) -> Outcome:
        """Collect (or load), check, analyse, write; the exit code and a line saying what was found."""
        import sys

        from dbxray.commands.common import code_for
        from dbxray.connect import connect, parse_target
        from dbxray.pipeline import analyze_snapshot, live_report
        from dbxray.report import render
        from dbxray.snapshot import Snapshot
        from dbxray.store import open_store

        started = time.monotonic()
        base = self.baseline if n == 1 else None
        if base is None and not self.history:
            base = self.last
        with contextlib.ExitStack() as stack:
            # opened first: an unreachable, read-only or too-new store fails before minutes of collection
            store = stack.enter_context(open_store(self.history)) if self.history else None
            if self.snapshot:
                snap = Snapshot.load(self.snapshot)
                previous = _previous(store, snap, None)
                rep = analyze_snapshot(snap, config=self.cfg, baseline=base or previous)
            else:
                port = parse_target(self.dsn).port
                found: dict = {}

                def baseline_of(new):  # --history: the previous run of this database, known once collected
                    found["previous"] = _previous(store, new, port)
                    return base or found["previous"]

                with connect(self.dsn, self.limits) as session, \
                        progress("collecting", enabled=self.progress) as tick:
                    snap, rep = live_report(session, self.cfg, baseline_of if store else base, tick,
                                            raw_queries=self.raw_queries)
                if self.raw_queries:
                    rep.notes.append("--raw-queries: other sessions' statement text is shown as the server gave "
                                     "it, literals included")
                snap.meta.setdefault("port", port)
                previous = found.get("previous")
            if self.llm_dry_run:
                emit(dry_run_report(rep, snap, self.llm_settings, base or previous), None)
                return Outcome(0)
            if self.save:
                snap.save(self.save)
            if store:
                _record_history(store, snap, rep, previous, self.cfg)
                rep.extra["history"] = _trends(store, snap, rep, port if not self.snapshot else None)
                if self.keep_days:
                    store.prune(self.keep_days)
        if self.llm_settings is not None:  # after the history: what is kept for the next run stays the rules'
            advise_report(rep, snap, self.llm_settings, base or previous, self.allow_partial)
        color = self.fmt == Format.text and self.output is None and sys.stdout.isatty()
        emit(render(rep, self.fmt.value, color=color, diagnosis_only=self.diagnosis_only), self.output)
        self._keep(snap)
        code, why = code_for(rep, self.fail_on, self.allow_partial)
        if why:
            typer.echo(f"dbxray: {why}", err=True)
        code = max(code, _notify(self.webhook, rep, self.fail_on, self.allow_partial, started))
        counts = rep.counts()
        return Outcome(code, ", ".join(f"{counts[s]} {s}" for s in ("critical", "warning", "info")))

    def _keep(self, snap: Any) -> None:
        """The baseline of the next run (``--every`` without a store), with the statements of this one's."""
        if self.history:
            return
        older = self.last
        if older is not None:  # its statements and what says whether the counters restarted since
            older = dataclasses.replace(older, frames={k: v for k, v in older.frames.items() if k in _KEPT_FRAMES},
                                        previous=None)
        snap.previous = older
        self.last = snap


# what the run before the previous one keeps (--every): the regression check's previous interval
_KEPT_FRAMES = frozenset({"statements", "statements_info", "server", "database", "xact_stats", "status"})


def _notify(webhook, rep, fail_on, allow_partial, started) -> int:
    """--webhook for one database: the exit code a failed POST adds (4), after the report is written."""
    if not webhook:
        return 0
    from dbxray.commands.common import EXIT_INCOMPLETE, code_for
    from dbxray.fleet.result import single_result
    from dbxray.report.webhook import notify

    code = code_for(rep, fail_on, allow_partial)[0]
    failure = notify(webhook, [single_result(rep, code, started)], code)
    if failure:
        typer.echo(f"dbxray: {failure}; the report was written", err=True)
        return EXIT_INCOMPLETE
    return 0


def _previous(store, snap, port, name=None, skipped=None):
    """The previous run of this database (of this fleet target when ``name``); ids of damaged runs
    passed over are appended to ``skipped``."""
    if store is None:
        return None
    from dbxray.store import previous_snapshot, snapshot_target

    key = snapshot_target(snap, port=port, name=name)[0]
    found = previous_snapshot(store, key, snap.collected_at, skipped)
    if not found:
        return None
    previous = found[1]
    older = previous_snapshot(store, key, previous.collected_at, skipped)  # the interval before: regressions compare
    previous.previous = older[1] if older else None
    return previous


def _record_history(store, snap, rep, previous, cfg, name=None) -> None:
    """Say what changed since the previous run, then keep this run (with its findings) for the next one."""
    from dbxray.findings import Finding
    from dbxray.pipeline import analyze_snapshot
    from dbxray.report import history as hist
    from dbxray.store import run_summary, snapshot_target

    if previous is not None:
        saved = previous.meta.get("report_findings")
        before = ([Finding.from_dict(f) for f in saved] if saved is not None
                  else analyze_snapshot(previous, config=cfg).findings)
        rep.summary["changes"] = hist.changes(rep.findings, before, previous.collected_at)
    snap.meta["report_findings"] = [f.to_dict() for f in rep.findings]
    key, label = snapshot_target(snap, name=name)
    store.save_run(key, label, snap.collected_at, snap.to_bytes(), run_summary(rep))


def _trends(store, snap, rep, port, limit: int = 90, name=None) -> dict:
    """The ``history`` block (HTML trend charts): this target's runs, the regressions and growth found."""
    from dbxray.store import snapshot_target

    key = snapshot_target(snap, port=port, name=name)[0]
    runs = []
    for run in reversed(store.runs(target=key, limit=limit)):
        workload = (run.summary or {}).get("workload") or {}
        runs.append({"collected_at": run.collected_at.isoformat(), "total_ms": workload.get("total_ms"),
                     "calls_per_s": workload.get("calls_per_s"), "findings": run.counts})
    regressions = [{"query_id": f.object.get("query_id"), "query": f.evidence.get("query"),
                    **{k: f.evidence.get(k) for k in ("mean_ms_before", "mean_ms_after", "ratio")}}
                   for f in rep.findings if f.check == "regression" and f.evidence.get("ratio")]
    growth = [{"schema": f.object.get("schema"), "table": f.object.get("table"),
               "bytes_per_day": f.evidence.get("bytes_per_day"), "days_to_threshold": f.evidence.get("days_left")}
              for f in rep.findings if f.check == "growth"]
    return {"runs": runs, "regressions": regressions, "table_growth": growth}
