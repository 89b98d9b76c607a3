"""The derived views the MySQL checks read, built as each frame arrives (``Engine.warm``): the decoded
indexes (key parts, sizes) and the columns per table, on the frame-building thread while the server runs
the next collector."""

from __future__ import annotations

from typing import Any


def warm(metric: str, snap: Any) -> None:
    from dbxray.engines.mysql.advisor.catalog import columns_by_table
    from dbxray.engines.mysql.checks.helpers import indexes_by_table

    if metric == "index_sizes" and snap.has("indexes"):  # an index's size comes from this later collector
        indexes_by_table(snap)
    elif metric == "columns":
        columns_by_table(snap)
