"""Small helpers every check may use: rows out of frames (decoded once per snapshot), memoized
per-snapshot views, tuple-sized records, short query text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd

from dbxray.units import human_bytes, human_seconds  # noqa: F401  (re-exported for the checks)

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


def column(df: pd.DataFrame, name: str) -> list[Any]:
    """One column's values as ``records`` gives them: NaN/NaT as None, integers kept integers."""
    col = df[name]
    values = col.tolist() if col.dtype.kind in "iub" else col.astype(object).where(col.notna(), None).tolist()
    if col.dtype.kind in "iuf" and len(values) >= 1000:
        return _shared(values)
    return values


def _shared(values: list) -> list:
    """One object per distinct number when a numeric column repeats its values (counters at zero, equal
    sizes): a float is a new 24-byte object per row otherwise. Mostly distinct columns are left alone."""
    sample = values[:2000]
    if len(set(sample)) > len(sample) // 2:
        return values
    seen: dict = {}
    return list(map(seen.setdefault, values, values))


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with NaN/NaT turned into None; built once per frame, read-only."""
    if df is None or df.empty:
        return []

    def build() -> list[dict[str, Any]]:
        # column-wise: several times faster than to_dict("records") plus a per-value NaN test; rows as
        # tuple-sized read-only mappings: 50,000 tables of 47 columns take 21 MB instead of 110 MB
        values = [column(df, c) for c in df.columns]
        row = record_type([str(c) for c in df.columns])
        return [row(values_of_row) for values_of_row in zip(*values)]

    return memo(df, "records", build)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


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


class Record(FieldRow):
    """A read-only row that is a mapping in every way a check uses one (``in``, iteration over the keys,
    ``items()``, ``dict(row)``, JSON), at the memory cost of a tuple. Copy it (``dict(row)``) to change it."""

    __slots__ = ()

    def __iter__(self):
        return iter(self._fields)

    def __contains__(self, key: object) -> bool:
        return key in self._pos

    def items(self):
        return zip(self._fields, tuple.__iter__(self))

    def values(self):
        return tuple(tuple.__iter__(self))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            return dict(self.items()) == other
        return tuple.__eq__(self, other)

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        return repr(dict(self.items()))


Mapping.register(Record)


def record_type(fields: list[str]) -> type[Record]:
    fields_t = tuple(fields)
    return type("Record", (Record,), {"__slots__": (), "_fields": fields_t,
                                      "_pos": {f: i for i, f in enumerate(fields_t)}})


def row_type(fields: tuple[str, ...] | list[str]) -> type[FieldRow]:
    fields = tuple(fields)
    return type("Row", (FieldRow,), {"__slots__": (), "_fields": fields, "_pos": {f: i for i, f in enumerate(fields)}})


def forget() -> None:
    """Drop the per-snapshot caches once the checks are done (their memory is not needed after)."""
    _MEMO.clear()
