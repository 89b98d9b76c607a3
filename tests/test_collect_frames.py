"""Rows become frames column by column (``ColumnBuilder``, ``frame_from_columns``): the frame must be the
one ``DataFrame.from_records`` made of the driver's rows, dtype for dtype and value for value, whatever the
driver returns (both drivers' types), and repeated strings must share one object."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from dbxray.columns import ColumnBuilder, frame_from_columns

UTC = dt.UTC
COLUMNS = ["id", "name", "schema", "ratio", "maybe_int", "flag", "maybe_flag", "amount", "seen_at", "naive_at",
           "keys", "doc", "raw", "day", "empty"]


def _row(i: int) -> tuple:
    return (
        i,
        f"table_{i}",
        "".join("public") if i % 3 else "".join("Sales Ops"),
        i / 7,
        None if i % 5 == 0 else i * 1000,
        i % 2 == 0,
        None if i % 4 == 0 else i % 2 == 0,
        Decimal(i) / 3,
        dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=i),
        dt.datetime(2026, 1, 1) + dt.timedelta(minutes=i),
        ["".join("id"), "name"] if i % 2 else ["".join("id")],  # a new str each row, as a driver makes
        {"k": i},
        b"\x00\x01",
        dt.date(2026, 1, 1 + i % 28),
        None,
    )


def _build(rows: list[tuple], batch: int) -> tuple[list[str], list[list], int]:
    builder = ColumnBuilder()
    for start in range(0, max(len(rows), 1), batch):
        builder.add(COLUMNS, rows[start:start + batch])
    return builder.cols, builder.columns, builder.rows


@pytest.mark.parametrize("n, batch", [(0, 10), (1, 10), (7, 3), (2500, 1000)])
def test_frame_equals_from_records(n: int, batch: int) -> None:
    rows = [_row(i) for i in range(n)]
    expected = pd.DataFrame.from_records(rows, columns=COLUMNS)
    cols, columns, nrows = _build(rows, batch)
    assert nrows == n
    got = frame_from_columns(cols, columns, nrows)
    pd.testing.assert_frame_equal(got, expected, check_index_type=False)
    assert list(got.dtypes.astype(str)) == list(expected.dtypes.astype(str))


def test_repeated_strings_share_one_object() -> None:
    rows = [_row(i) for i in range(3000)]
    cols, columns, _ = _build(rows, 1000)
    schemas = columns[cols.index("schema")]
    assert len({id(v) for v in schemas}) == 2  # 'public' and 'Sales Ops', 3,000 values
    names = columns[cols.index("name")]
    assert len({id(v) for v in names}) == 3000  # distinct names are left alone
    keys = columns[cols.index("keys")]
    assert len({id(k[0]) for k in keys}) == 1  # list elements shared too


def test_duplicate_column_names_kept() -> None:
    got = frame_from_columns(["a", "a"], [[1, 2], ["x", "y"]], 2)
    assert list(got.columns) == ["a", "a"]
    assert got.iloc[1, 1] == "y"


def test_equal_lists_share_one_list_and_the_frame_is_unchanged() -> None:
    rows = [_row(i) for i in range(3000)]
    expected = pd.DataFrame.from_records([tuple(list(v) if isinstance(v, list) else v for v in r) for r in rows],
                                         columns=COLUMNS)
    cols, columns, n = _build(rows, 1000)
    keys = columns[cols.index("keys")]
    assert len({id(k) for k in keys}) == 2  # ['id', 'name'] and ['id'], 3,000 rows
    pd.testing.assert_frame_equal(frame_from_columns(cols, columns, n), expected, check_index_type=False)


def test_sort_columns_orders_rows_as_the_server_would() -> None:
    from dbxray.columns import sort_columns

    cols = ["schema", "table", "n"]
    columns = [["b", "a", "a", None, "a"], ["x", "Z", "z", "y", "Z"], [1, 2, 3, 4, 5]]
    sort_columns(cols, columns, ["schema", "table"])
    # byte order ('Z' < 'z'), None last, equal keys kept in their order (stable)
    assert columns == [["a", "a", "a", "b", None], ["Z", "Z", "z", "x", "y"], [2, 5, 3, 1, 4]]
