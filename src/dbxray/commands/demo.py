"""``dbxray demo``: not built yet."""

from __future__ import annotations

import typer


def demo() -> None:
    """Not built yet."""
    typer.echo("dbxray demo: not available yet", err=True)
    raise typer.Exit(2)
