"""``dbxray indexes``: not built yet."""

from __future__ import annotations

import typer


def indexes() -> None:
    """Not built yet."""
    typer.echo("dbxray indexes: not available yet", err=True)
    raise typer.Exit(2)
