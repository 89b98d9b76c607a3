"""This branch's PostgreSQL normalizer (``engines/postgres/normalize.py``): its literal-free fast path
must agree with the scanner and never skip a literal. Specific to this implementation."""

from __future__ import annotations

import pytest

from dbxray.normalize import WITHHELD


@pytest.mark.parametrize("text", [
    "SELECT t_00123.id, \"Col 9\" FROM s1.t_00123 WHERE a = $1 AND b IN ($2, $3) LIMIT $4",
    "UPDATE   accounts\n   SET balance = balance + $1\tWHERE id = $2",
    "SELECT count(*) FROM orders o JOIN order_items i ON i.order_id = o.id",
])
def test_the_fast_path_agrees_with_the_scanner(text):
    from dbxray.engines.postgres.normalize import normalize_pg, scanned

    assert normalize_pg(text) == scanned(text)


@pytest.mark.parametrize("text", ["SELECT 1e5 FROM t", "SELECT x FROM t WHERE y = .5", "SELECT $$a$$",
                                  "SELECT a FROM t -- 42", "SELECT a FROM t1 WHERE b = 1"])
def test_the_fast_path_never_skips_a_literal(text):
    from dbxray.engines.postgres.normalize import normalize_pg, scanned

    assert normalize_pg(text) == scanned(text) != " ".join(text.split())


def test_an_engine_that_cannot_scan_withholds_everything():
    from dbxray.engine import BaseEngine

    assert BaseEngine().normalize_sql("SELECT 'x'") == WITHHELD
