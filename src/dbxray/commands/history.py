"""``dbxray history``: the runs kept in a history store, newest first, without decoding any."""

from __future__ import annotations

from enum import StrEnum

import typer

from dbxray.commands.common import emit

STORE_HELP = ("The history store: a directory, sqlite:///path.db (sqlite:////abs/path.db) or a "
              "postgresql://… URL. Defaults to $DBXRAY_HISTORY.")
StoreOption = typer.Option(None, "--history", envvar="DBXRAY_HISTORY", help=STORE_HELP, show_default=False)


class ListFormat(StrEnum):
    text = "text"
    json = "json"


def history(
    store: str = typer.Option(..., "--history", envvar="DBXRAY_HISTORY", help=STORE_HELP, show_default=False),
    target: str = typer.Option(None, "--target", "-t", show_default=False,
                               help="Only this target: its fleet name, host:port/database, or key."),
    limit: int = typer.Option(None, "--limit", "-n", min=1, show_default=False, help="Only the newest N runs."),
    fmt: ListFormat = typer.Option(ListFormat.text, "--format", "-f", help="Output format."),
) -> None:
    """List the runs of a history store: id, target, time and findings by severity (ids for 'dbxray diff')."""
    from dbxray.store import open_store, render_runs

    with open_store(store, readonly=True) as opened:
        runs = opened.runs(target=target, limit=limit)
        emit(render_runs(runs, fmt.value, store=opened.display), None)
