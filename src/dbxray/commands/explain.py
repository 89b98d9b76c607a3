"""``dbxray explain``: not built yet."""

from __future__ import annotations

import typer


def explain() -> None:
    """Not built yet."""
    typer.echo("dbxray explain: not available yet", err=True)
    raise typer.Exit(2)
