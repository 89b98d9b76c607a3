"""``dbxray diff A B``: what changed between two runs (history run ids or saved snapshot files)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import typer

from dbxray.commands.common import ConfigOption, Format, FormatOption, OutputOption, emit
from dbxray.commands.history import StoreOption


def diff(
    first: str = typer.Argument(..., help="The earlier run: an id from 'dbxray history', or a snapshot file."),
    second: str = typer.Argument(..., help="The later run: an id from 'dbxray history', or a snapshot file."),
    store: str = StoreOption,
    fmt: Format = FormatOption,
    output: Path = OutputOption,
    config: Path = ConfigOption,
) -> None:
    """Compare two runs of one database: the workload between them, and the findings that
    appeared or went away."""
    from dbxray.config import load_config
    from dbxray.pipeline import analyze_snapshot
    from dbxray.report import render
    from dbxray.report.history import changes
    from dbxray.store import load_ref, open_store

    cfg = load_config(config)
    with open_store(store, readonly=True) if store else contextlib.nullcontext() as opened:
        old, new = load_ref(first, opened), load_ref(second, opened)
    if old.collected_at > new.collected_at:  # either order means "from the earlier to the later"
        old, new = new, old
    rep = analyze_snapshot(new, config=cfg, baseline=old)  # one line if they are not the same database
    before, after = _findings(old, cfg), _findings(new, cfg, rep.findings)
    rep.summary["changes"] = changes(after, before, old.collected_at)
    color = fmt == Format.text and output is None and sys.stdout.isatty()
    emit(render(rep, fmt.value, color=color), output)


def _findings(snap, cfg, analyzed=None):
    """The findings that run reported (kept in the snapshot by --history), else the rule checks'."""
    from dbxray.findings import Finding
    from dbxray.pipeline import analyze_snapshot

    saved = snap.meta.get("report_findings")
    if saved is not None:
        return [Finding.from_dict(f) for f in saved]
    return analyzed if analyzed is not None else analyze_snapshot(snap, config=cfg).findings
