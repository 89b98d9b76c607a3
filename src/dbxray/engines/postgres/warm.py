"""The derived views the PostgreSQL checks read, built as each frame arrives (``Engine.warm``): on a
10,000-table catalog the index rows, the columns per table, the table rows and the parsed workload take a
third of the checks' time, and the frame-building thread has it to spare while the server runs the next collector."""

from __future__ import annotations

from typing import Any


def warm(metric: str, snap: Any) -> None:
    from dbxray.checks.helpers import records
    from dbxray.engines.postgres.checks.helpers import pg_indexes_by_table
    from dbxray.engines.postgres.design.workload import columns_by_table, top

    if metric == "indexes":
        pg_indexes_by_table(snap)
    elif metric == "column_types":
        columns_by_table(snap)
        if snap.has("statements"):  # the design checks' parsed workload: statements, resolved on the columns
            top(snap, 200)
    elif metric in ("tables", "table_storage", "table_bloat", "sequences"):
        records(snap[metric])
