"""Small helpers shared by the PostgreSQL checks."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from dbxray.quoting import pg_ident
from dbxray.units import human_bytes, human_seconds  # noqa: F401  (re-exported for the checks)

TYPE_MAX = {
    "smallint": 32767,
    "integer": 2147483647,
    "bigint": 9223372036854775807,
}


_MEMO: dict[tuple[int, str], tuple[Any, Any]] = {}


def memo(frame: Any, kind: str, build: Any) -> Any:
    """``build()`` once per collected frame: a 10,000-table catalog decodes its 30,000 indexes once,
    not once per check. Keyed by the frame object itself (kept alive by the entry, so an id is never
    reused while cached); callers must treat the result as read-only."""
    key = (id(frame), kind)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is frame:
        return hit[1]
    value = build()
    if len(_MEMO) > 64:
        _MEMO.clear()
    _MEMO[key] = (frame, value)
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with NaN/NaT turned into None; built once per frame, read-only."""
    if df is None or df.empty:
        return []

    def build() -> list[dict[str, Any]]:
        cols = [str(c) for c in df.columns]
        # column-wise: several times faster than to_dict("records") plus a per-value NaN test
        values = [df[c].astype(object).where(df[c].notna(), None).tolist() if df[c].dtype.kind not in "iub"
                  else df[c].tolist() for c in df.columns]
        return [dict(zip(cols, row)) for row in zip(*values)]

    return memo(df, "records", build)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def qualified(schema: str, table: str) -> str:
    return pg_ident(schema, table)


def stats_age(snap: Any) -> tuple[float | None, Any]:
    """(seconds the cumulative statistics have been collecting, their reset time or None)."""
    db = snap["database"]
    if db.empty:
        return None, None
    row = db.iloc[0]
    age = row.get("stats_age_s")
    reset = row.get("stats_reset")
    return (None if _missing(age) else float(age)), (None if _missing(reset) else reset)


def setting_value(snap: Any, name: str, default: Any = None) -> Any:
    return snap.setting(name, default)


def setting_bytes(snap: Any, name: str) -> float | None:
    """A memory setting in bytes (pg_settings gives a number and a unit such as 8kB or kB)."""
    df = snap["settings"]
    if df.empty:
        return None
    hit = df.loc[df["name"] == name]
    if hit.empty:
        return None
    row = hit.iloc[0]
    try:
        value = float(row["setting"])
    except (TypeError, ValueError):
        return None
    unit = row.get("unit") or ""
    factor = {"B": 1, "kB": 1024, "8kB": 8192, "MB": 1048576, "16MB": 16 * 1048576, "GB": 1073741824}.get(unit, 1)
    return value * factor


def table_rows(snap: Any) -> dict[tuple[str, str], dict[str, Any]]:
    frame = snap["tables"]
    return memo(frame, "table_rows", lambda: {(r["schema"], r["table"]): r for r in records(frame)})


def short_query(text: str | None, limit: int = 160) -> str:
    one = " ".join(str(text or "").split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, list):  # the driver's own list, read-only here: no copy (30,000 indexes x 5 lists)
        return value
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "tolist"):
        return list(value.tolist())
    return [value]


INDEX_FIELDS = (
    "schema", "table", "index", "method", "is_unique", "is_primary", "is_exclusion", "is_valid", "is_ready",
    "is_replica_identity", "constraint_name", "columns", "keys", "include_columns", "opclasses", "descending",
    "collations", "predicate", "expressions", "definition", "idx_scan", "index_bytes", "last_idx_scan",
    "table_relkind",
)
_INDEX_LISTS = ("columns", "keys", "include_columns", "opclasses", "descending")


class FieldRow(tuple):
    """A read-only row that answers ``row["name"]`` and ``row.get("name")`` like a dict, at the memory
    cost of a tuple: 30,000 index rows take a quarter of what dicts would."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _pos: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._pos[key])
        return tuple.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        pos = self._pos.get(key)
        return default if pos is None else tuple.__getitem__(self, pos)

    def keys(self) -> tuple[str, ...]:
        return self._fields


def row_type(fields: tuple[str, ...] | list[str]) -> type[FieldRow]:
    fields = tuple(fields)
    return type("Row", (FieldRow,), {"__slots__": (), "_fields": fields, "_pos": {f: i for i, f in enumerate(fields)}})


def pg_indexes(snap: Any) -> list[FieldRow]:
    """The indexes the checks need, as rows of the fields they read (lists as lists; ``ix["table"]``,
    ``ix.get("predicate")``): built once per snapshot and read-only. Only the needed fields, in
    tuple-sized rows: 30,000 indexes stay a few MB."""
    frame = snap["indexes"]

    def build() -> list[dict[str, Any]]:
        if frame.empty:
            return []
        fields = [f for f in INDEX_FIELDS if f in frame.columns]
        values = []
        for f in fields:
            col = frame[f]
            if f in _INDEX_LISTS:
                values.append([as_list(v) for v in col.tolist()])
            elif col.dtype.kind in "iub":
                values.append(col.tolist())
            else:
                values.append(col.astype(object).where(col.notna(), None).tolist())
        row = row_type(fields)
        return [row(values_of_row) for values_of_row in zip(*values)]

    return memo(frame, "pg_indexes", build)


def pg_indexes_by_table(snap: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    frame = snap["indexes"]

    def build() -> dict[tuple[str, str], list[dict[str, Any]]]:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for ix in pg_indexes(snap):
            out.setdefault((ix["schema"], ix["table"]), []).append(ix)
        return out

    return memo(frame, "pg_indexes_by_table", build)


def forget() -> None:
    """Drop the per-snapshot caches once the checks are done (their memory is not needed after)."""
    _MEMO.clear()
