"""normalize_sql: the one function every SQL text goes through before it may leave the machine.

These are the contract (whatever engine normalizer is behind ``Engine.normalize_sql``): no literal,
no comment, the statement's shape kept; spacing is not part of the contract (``flat``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbxray.engine import BaseEngine
from dbxray.engines.sqltext import normalize_sql


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT a, 'alice', 42 FROM t WHERE b = $1", "SELECT a, $2, $3 FROM t WHERE b = $1"),
    ("SELECT /* who 'x' */ 1 -- tail 'y'\nFROM t", "SELECT $1 FROM t"),
    ("SELECT E'a\\nb', U&'d\\0061t', B'101', X'1F', $$dollar$$, $tag$x$tag$, -3.5e2",
     "SELECT $1, $2, $3, $4, $5, $6, -$7"),
    ("((email)::text = 'alice@example.com'::text)", "((email)::text = $1::text)"),
    ("ALTER ROLE app PASSWORD 'hunter2'", "ALTER ROLE app PASSWORD $1"),
    ("SELECT * FROM t WHERE note = 'it''s'", "SELECT * FROM t WHERE note = $1"),
    ("SELECT \"Mixed Case\" FROM \"T\"", "SELECT \"Mixed Case\" FROM \"T\""),
    ("<insufficient privilege>", "<insufficient privilege>"),
])
def test_postgres_literals_and_comments_go(text, expected):
    assert flat(normalize_sql(text, "postgres")) == expected


def _cut(out: str, prefix: str, secret: str) -> None:
    assert flat(out).startswith(prefix) and flat(out).endswith("…") and secret not in out


def test_postgres_text_cut_inside_a_literal_keeps_what_precedes_it():
    _cut(normalize_sql("SELECT id FROM users WHERE email = 'alice@exa", "postgres"),
         "SELECT id FROM users WHERE email =", "alice")
    _cut(normalize_sql("SELECT 'ünïcode', x FROM t WHERE y = 'cut hé", "postgres"),
         "SELECT $1, x FROM t WHERE y =", "cut h")


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT a, 'alice', \"bob\", 42, 0x1F, b'101', X'AB', N'nat', _utf8mb4'cs' FROM t",
     "SELECT a, ?, ?, ?, ?, ?, ?, ?, ? FROM t"),
    ("SELECT 1 /* c 'x' */ FROM t # hash 'y'\nWHERE d = 'it''s' -- dash 'z'\nAND e IN (?, ?)",
     "SELECT ? FROM t WHERE d = ? AND e IN (?, ?)"),
    ("SELECT `id` FROM `t` WHERE x = 'a\\'b'", "SELECT `id` FROM `t` WHERE x = ?"),
])
def test_mysql_literals_and_comments_go(text, expected):
    assert flat(normalize_sql(text, "mysql")) == expected


def test_mysql_text_cut_inside_a_literal_keeps_what_precedes_it():
    _cut(normalize_sql("SELECT * FROM t WHERE x = 'secret-but-cu", "mysql"), "SELECT * FROM t WHERE x =", "secret")


def test_an_engine_without_its_own_scanner_still_shows_no_literal():
    assert "secret" not in BaseEngine().normalize_sql("SELECT 'secret'")
    assert normalize_sql(None, "postgres") == ""


_secret = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=4, max_size=30)


@settings(max_examples=200, deadline=None)
@given(secret=_secret, number=st.integers(min_value=10**6, max_value=10**12))
def test_no_literal_survives_on_either_engine(secret, number):
    """Whatever the string (quotes, backslashes, comment markers, unicode), it never comes out."""
    marker = "Zq" + secret.replace("'", "x").replace("\\", "x").replace("\n", " ") + "Zq"
    pg = normalize_sql(f"SELECT * FROM t WHERE a = '{marker}' AND b = {number}", "postgres")
    my = normalize_sql(f"SELECT * FROM t WHERE a = '{marker}' AND b = {number}", "mysql")
    for out in (pg, my):
        assert marker not in out and str(number) not in out
        assert flat(out).startswith("SELECT * FROM t WHERE a =")

