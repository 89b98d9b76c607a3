"""What the advisor reads about columns and their selectivity (information_schema, column_stats)."""

from __future__ import annotations

from typing import Any


def columns_by_table(snap: Any) -> dict[tuple[str, str], dict[str, dict]]:
    """{(schema, table): {lower column name: {column, data_type, column_type, is_nullable, max_length,
    charset}}} from the ``columns`` collector (one row per table, its columns as a JSON array)."""
    from dbxray.engines.mysql.checks.helpers import json_column, memo

    frame = snap["columns"]

    def build() -> dict[tuple[str, str], dict[str, dict]]:
        out: dict[tuple[str, str], dict[str, dict]] = {}
        if frame.empty:
            return out
        names = ("column", "data_type", "column_type", "is_nullable", "max_length", "charset")
        for schema, table, cols in zip(frame["schema"].tolist(), frame["table"].tolist(),
                                       json_column(frame, "columns")):
            out[(schema, table)] = {str(c[0]).lower(): dict(zip(names, c)) for c in cols if c}
        return out

    return memo(frame, "columns_by_table", build)


def distinct_values(snap: Any) -> dict[tuple[str, str, str], tuple[float, str]]:
    """Estimated distinct values per column and where the number came from."""
    from dbxray.engines.mysql.checks.helpers import indexes, memo, records, tables

    return memo(snap["indexes"], "distinct_values", lambda: _distinct_values(snap, indexes, records, tables))


def _distinct_values(snap: Any, indexes: Any, records: Any, tables: Any) -> dict:
    out: dict[tuple[str, str, str], tuple[float, str]] = {}
    rows = {k: (v.get("rows_estimate") or 0) for k, v in tables(snap).items()}
    for r in records(snap["column_stats"]):
        freq = r.get("avg_frequency")
        total = rows.get((r["schema"], r["table"]))
        if freq and total:
            out[(r["schema"], r["table"], r["column"])] = (max(1.0, float(total) / float(freq)),
                                                           "mysql.column_stats")
    for ix in indexes(snap):
        if ix["columns"] and ix["cardinalities"] and ix["cardinalities"][0] is not None and ix["columns"][0]:
            key = (ix["schema"], ix["table"], ix["columns"][0])
            out[key] = (float(ix["cardinalities"][0]), f"information_schema.STATISTICS ({ix['index']})")
    return out


# -- candidates -----------------------------------------------------------------------------------------
