"""Rows into columns into frames: how a collector's result becomes a DataFrame without ever existing
as one list of row tuples (``ColumnBuilder``), sorted on the client (``sort_columns``) and converted a
column at a time (``frame_from_columns``)."""

from __future__ import annotations

from typing import Any


def _shared(seen: dict, values: Any) -> list:
    """``values`` with each string replaced by the first equal one ``seen`` holds (a C-level map: this
    runs over every value of a large catalog); anything unhashable is kept as it is."""
    try:
        return list(map(seen.setdefault, values, values))
    except TypeError:  # a list or a dict among the values
        return [seen.setdefault(v, v) if isinstance(v, str) else v for v in values]


def _pooled(pool: dict, seen: dict, values: Any) -> list:
    """Lists (key columns, operator classes, INCLUDE lists) with equal lists sharing one list object and
    their strings shared: 150,000 indexes carry a few thousand distinct ``['id']``, ``[False]`` or ``[]``.
    Frame values are read-only, so sharing is safe; lists of unhashable items are left as they are."""
    out = []
    for v in values:
        if isinstance(v, list):
            try:
                hit = pool.get(tuple(v))
            except TypeError:
                hit = None
            if hit is None:
                v[:] = _shared(seen, v)
                try:
                    pool[tuple(v)] = v
                except TypeError:
                    pass
                hit = v
            v = hit
        out.append(v)
    return out


class ColumnBuilder:
    """Rows appended batch by batch into one list per column. The driver makes a new ``str`` for every
    value, so 'public' on 150,000 index rows would be 150,000 objects, and so would the table names,
    access methods and the column names inside the key lists: a column whose first batch repeats its
    strings keeps one object per distinct string (in lists too, element by element), which takes a fifth
    off a 50,000-table report's memory. Columns of mostly distinct values (names, definitions) are left
    alone."""

    SAMPLE = 2000

    def __init__(self) -> None:
        self.cols: list[str] = []
        self.columns: list[list] = []
        self.rows = 0
        self._shared: list[dict | None] | None = None
        self._lists: list[bool] = []
        self._pools: list[dict] = []

    def add(self, cols: list[str], batch: list) -> None:
        if not self.cols:
            self.cols = list(cols)
            self.columns = [[] for _ in cols]
        if not batch:
            return
        by_column = list(zip(*batch))
        if self._shared is None:
            self._decide(by_column)
        for j, values in enumerate(by_column):
            seen = self._shared[j]
            if seen is None:
                self.columns[j].extend(values)
            elif self._lists[j]:
                self.columns[j].extend(_pooled(self._pools[j], seen, values))
            else:
                self.columns[j].extend(_shared(seen, values))
        self.rows += len(batch)

    def _decide(self, by_column: list[tuple]) -> None:
        self._shared, self._lists = [], []
        self._pools = [{} for _ in by_column]
        for values in by_column:
            first = next((v for v in values[:100] if v is not None), None)
            if isinstance(first, list):
                self._shared.append({})
                self._lists.append(True)
                continue
            sample = [v for v in values[: self.SAMPLE] if isinstance(v, str)]
            repeated = bool(sample) and len(set(sample)) <= len(sample) // 2
            self._shared.append({} if repeated else None)
            self._lists.append(False)


def sort_columns(cols: list[str], columns: list[list], keys: list[str]) -> None:
    """Reorder the column lists, in place and one column at a time, by the values of ``keys`` (byte order
    of strings, as the server's C collation of ``name``; None last). A sorted copy of a whole 150,000-row
    frame would be a transient second frame."""
    key_columns = [columns[cols.index(k)] for k in keys]

    def key(i: int) -> tuple:
        return tuple((v is None, v if v is not None else "") for v in (c[i] for c in key_columns))

    order = sorted(range(len(columns[0])), key=key)
    for j, values in enumerate(columns):
        columns[j] = [values[i] for i in order]


def frame_from_columns(cols: list[str], columns: list[list], nrows: int) -> Any:
    """The DataFrame ``DataFrame.from_records(rows)`` makes of these rows (same dtypes, value for value),
    built one column at a time: from_records first turns every row into a tuple and the whole result into
    one 2-D object array, a transient copy of the largest collector (150,000 indexes of 30 columns on a
    50,000-table catalog). Each column list is released once converted. Falls back to from_records where
    pandas lacks the per-column conversion it uses (``convert_object_array``, what from_records calls)."""
    import numpy as np
    import pandas as pd

    try:
        from pandas.core.internals.construction import convert_object_array
    except ImportError:  # another pandas layout: the row path, same result, more memory
        convert_object_array = None
    if convert_object_array is None or not nrows or not columns:
        return pd.DataFrame.from_records(zip(*columns) if nrows and columns else iter(()), columns=cols,
                                         nrows=nrows)
    arrays = {}
    for j in range(len(columns)):
        values, columns[j] = columns[j], []
        arrays[j] = convert_object_array([np.fromiter(values, dtype=object, count=nrows)], dtype=None)[0]
        del values
    frame = pd.DataFrame(arrays)
    frame.columns = cols
    return frame
