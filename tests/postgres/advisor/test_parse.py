"""Predicates placed on the right table, against a real catalog: aliases, joins, subqueries, CTEs,
correlated sublinks, unqualified columns, and what no B-tree can serve."""

from __future__ import annotations

import pytest

from dbxray.connect import connect
from dbxray.engines.postgres.advisor.catalog import Catalog
from dbxray.engines.postgres.advisor.parse import analyze, parse, relation_names

SCHEMA = """
CREATE TABLE posts (id int PRIMARY KEY, blog_id int, user_id int, title text, created_at timestamptz, deleted_at
                    timestamptz);
CREATE TABLE blogs (id int PRIMARY KEY, owner_id int, name text);
CREATE TABLE comments (id int, post_id int, body text);
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Order Items" ("Order Id" int, qty int);
"""


@pytest.fixture(scope="module")
def catalog(pg):
    name = pg.new_database("parse")
    pg.run(name, SCHEMA)
    with connect(pg.dsn(name)) as session:
        yield Catalog(session)
    pg.drop_database(name)


def uses(catalog, sql: str) -> dict[str, list[tuple]]:
    node = parse(sql)
    catalog.load(relation_names(node))
    parsed = analyze(node, sql, catalog.resolve)
    out: dict[str, list[tuple]] = {}
    for a in parsed.accesses:
        out.setdefault(a.table, []).extend((u.column, u.kind) for u in a.uses)
    return out


def access(catalog, sql: str, table: str):
    node = parse(sql)
    catalog.load(relation_names(node))
    return next(a for a in analyze(node, sql, catalog.resolve).accesses if a.table == table)


def test_aliases_joins_and_unqualified_columns(catalog):
    got = uses(catalog, "SELECT title FROM posts p JOIN blogs b ON b.id = p.blog_id "
                        "WHERE owner_id = $1 AND p.user_id IN ($2, $3) AND deleted_at IS NULL")
    assert got["posts"] == [("blog_id", "join"), ("user_id", "in"), ("user_id", "in"), ("deleted_at", "null")]
    assert got["blogs"] == [("id", "join"), ("owner_id", "eq")]  # owner_id: only blogs has it


def test_ambiguous_unqualified_column_is_not_guessed(catalog):
    got = uses(catalog, "SELECT 1 FROM posts JOIN blogs ON blogs.id = posts.blog_id WHERE id = $1")
    assert ("id", "eq") not in got["posts"] and ("id", "eq") not in got["blogs"]


def test_through_subqueries_and_ctes(catalog):
    got = uses(catalog, "WITH recent AS (SELECT id AS pid, user_id FROM posts WHERE created_at > $1) "
                        "SELECT * FROM (SELECT r.pid FROM recent r WHERE r.user_id = $2) s WHERE s.pid = $3")
    assert got["posts"] == [("created_at", "range"), ("user_id", "eq"), ("id", "eq")]


def test_materialized_cte_keeps_outer_predicates_out(catalog):
    got = uses(catalog, "WITH r AS MATERIALIZED (SELECT id, user_id FROM posts) SELECT * FROM r WHERE user_id = $1")
    assert got["posts"] == []  # the planner cannot push user_id = $1 into a materialized CTE


def test_correlated_exists_and_in_subquery_are_joins(catalog):
    got = uses(catalog, "SELECT * FROM blogs b WHERE EXISTS (SELECT 1 FROM posts p WHERE p.blog_id = b.id) "
                        "AND b.id IN (SELECT c.post_id FROM comments c WHERE c.body = $1)")
    assert ("blog_id", "join") in got["posts"]
    assert ("post_id", "join") in got["comments"] and ("body", "eq") in got["comments"]
    assert ("id", "join") in got["blogs"]


def test_order_by_group_by_and_limit(catalog):
    a = access(catalog, "SELECT user_id AS u, created_at FROM posts WHERE blog_id = $1 ORDER BY 2 DESC, u LIMIT $2",
               "posts")
    assert a.sort == [("created_at", True), ("user_id", False)] and a.sort_limited
    g = access(catalog, "SELECT blog_id, count(*) FROM posts GROUP BY 1", "posts")
    assert g.group == ["blog_id"] and not g.sort


def test_ranges_between_any_and_like_prefix(catalog):
    got = uses(catalog, "SELECT 1 FROM posts WHERE created_at BETWEEN $1 AND $2 AND $3 < user_id "
                        "AND blog_id = ANY($4) AND title LIKE 'abc%'")
    assert got["posts"] == [("created_at", "range"), ("created_at", "range"), ("user_id", "range"),
                            ("blog_id", "in"), ("title", "range")]


def test_row_comparisons(catalog):
    got = uses(catalog, "SELECT 1 FROM posts WHERE (blog_id, user_id) = ($1, $2) AND (created_at, id) < ($3, $4)")
    assert got["posts"] == [("blog_id", "eq"), ("user_id", "eq"), ("created_at", "range")]


def test_what_no_btree_serves_is_kept_apart(catalog):
    a = access(catalog, "SELECT 1 FROM posts WHERE lower(title) = $1 AND title LIKE '%x' AND "
                        "created_at::date = $2 AND user_id = $3", "posts")
    assert [(u.column, u.kind) for u in a.uses] == [("user_id", "eq")]
    assert sorted(a.unoptimizable) == ["CAST(created_at AS date) = $2", "lower(title) = $1", "title LIKE '%x'"]


def test_dml_targets_and_quoted_names(catalog):
    node = parse('UPDATE "Sales"."Order Items" SET qty = qty + 1 WHERE "Order Id" = $1')
    catalog.load(relation_names(node))
    parsed = analyze(node, "", catalog.resolve)
    assert parsed.target == ("Sales", "Order Items") and parsed.updated == ["qty"]
    assert [(u.column, u.kind) for u in parsed.accesses[0].uses] == [("Order Id", "eq")]
    got = uses(catalog, "DELETE FROM comments c USING posts p WHERE c.post_id = p.id AND p.user_id = $1")
    assert got["comments"] == [("post_id", "join")] and got["posts"] == [("id", "join"), ("user_id", "eq")]


def test_unknown_tables_and_non_queries(catalog):
    assert uses(catalog, "SELECT * FROM no_such_table WHERE x = 1") == {}
    for bad in ("VACUUM posts", "SET work_mem = '1MB'", "SELECT 1; SELECT 2", "SELEC 1"):
        with pytest.raises(ValueError):
            parse(bad)


ODD_BUT_REAL = [
    "SELECT DISTINCT ON (user_id) * FROM posts ORDER BY user_id, created_at DESC",
    "SELECT p.*, row_number() OVER (PARTITION BY blog_id ORDER BY id) FROM posts p WHERE blog_id = $1",
    "SELECT * FROM blogs b, LATERAL (SELECT * FROM posts p WHERE p.blog_id = b.id LIMIT 3) x WHERE b.owner_id = $1",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < $1) SELECT * FROM r",
    "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(id, name) JOIN posts ON posts.id = v.id",
    "SELECT blog_id, user_id, count(*) FROM posts GROUP BY GROUPING SETS ((blog_id), (user_id))",
    "SELECT * FROM posts WHERE (blog_id, user_id) = ($1, $2) AND CASE WHEN id > 0 THEN true END",
    "SELECT * FROM posts WHERE coalesce(deleted_at, created_at) > now() - interval '1 day'",
    "INSERT INTO comments (id, post_id, body) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id",
    "UPDATE posts SET title = s.t FROM (SELECT id, 'x' AS t FROM blogs WHERE owner_id = $1) s "
    "WHERE posts.blog_id = s.id",
    "DELETE FROM comments WHERE post_id IN (SELECT id FROM posts WHERE user_id = $1) RETURNING *",
    "SELECT * FROM generate_series(1, 10) g JOIN posts ON posts.id = g",
    "SELECT * FROM posts TABLESAMPLE SYSTEM (1) WHERE user_id = 1 FOR UPDATE SKIP LOCKED",
    "SELECT * FROM posts ORDER BY created_at + interval '1 day' LIMIT 5",
    "SELECT (SELECT max(id) FROM comments c WHERE c.post_id = p.id) FROM posts p WHERE p.id = ANY($1::int[])",
    "SELECT * FROM posts WHERE NOT (user_id = 1) OR blog_id IS NOT NULL",
    "MERGE INTO comments c USING posts p ON c.post_id = p.id WHEN MATCHED THEN DO NOTHING",
]


@pytest.mark.parametrize("sql", ODD_BUT_REAL)
def test_real_world_shapes_never_crash_the_parser(catalog, sql):
    try:
        node = parse(sql)
    except ValueError:
        assert sql.startswith("MERGE")  # not a query the advisor plans
        return
    catalog.load(relation_names(node))
    parsed = analyze(node, sql, catalog.resolve)
    for a in parsed.accesses:
        assert (a.schema, a.table) in catalog.tables and all(u.column in catalog.tables[a.key].columns
                                                             for u in a.uses)
