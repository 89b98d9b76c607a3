"""The ``indexes`` collector writes a plain index's definition itself (pg_get_indexdef costs 40 us an index,
half of the collector on a large catalog) and leaves every other index to pg_get_indexdef. Whatever the
index, the collected definition must be exactly what pg_get_indexdef prints: the undo SQL of unused-index
findings and the duplicate-index evidence are built from it."""

from __future__ import annotations

from dbxray.collect import ServerContext, choose, load_specs
from dbxray.pipeline import collect_snapshot

SCHEMA = r'''
CREATE SCHEMA "Sales Ops";
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('ok', 'bad');
CREATE TABLE "Sales Ops"."Order Items" (
    id bigserial PRIMARY KEY,
    "select" int, "it's ""quoted""" text, ünïcode text, v varchar(40), c text COLLATE "C", n numeric,
    ts timestamptz, doc jsonb, tags int[], b box, p positive, m mood, u uuid,
    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa int,
    UNIQUE ("select", n),
    EXCLUDE USING gist (b WITH &&)
);
CREATE INDEX plain_one ON "Sales Ops"."Order Items" ("select");
CREATE UNIQUE INDEX "Unique Two" ON "Sales Ops"."Order Items" (n, ts);
CREATE INDEX with_include ON "Sales Ops"."Order Items" ("select") INCLUDE (n, "it's ""quoted""");
CREATE INDEX descending ON "Sales Ops"."Order Items" (ts DESC);
CREATE INDEX nulls_first ON "Sales Ops"."Order Items" (n NULLS FIRST);
CREATE INDEX on_varchar ON "Sales Ops"."Order Items" (v);
CREATE INDEX on_text ON "Sales Ops"."Order Items" ("it's ""quoted""");
CREATE INDEX on_unicode ON "Sales Ops"."Order Items" (ünïcode);
CREATE INDEX collated ON "Sales Ops"."Order Items" (ünïcode COLLATE "C");
CREATE INDEX on_c_column ON "Sales Ops"."Order Items" (c);
CREATE INDEX pattern_ops ON "Sales Ops"."Order Items" ("it's ""quoted""" text_pattern_ops);
CREATE INDEX partial ON "Sales Ops"."Order Items" (n) WHERE n > 0;
CREATE INDEX expression ON "Sales Ops"."Order Items" (lower(ünïcode));
CREATE INDEX mixed_expression ON "Sales Ops"."Order Items" ("select", (n * 2));
CREATE INDEX hashed ON "Sales Ops"."Order Items" USING hash (u);
CREATE INDEX gin_default ON "Sales Ops"."Order Items" USING gin (doc);
CREATE INDEX gin_path ON "Sales Ops"."Order Items" USING gin (doc jsonb_path_ops);
CREATE INDEX gin_array ON "Sales Ops"."Order Items" USING gin (tags);
CREATE INDEX brin_ts ON "Sales Ops"."Order Items" USING brin (ts);
CREATE INDEX fill ON "Sales Ops"."Order Items" (n) WITH (fillfactor = 70);
CREATE UNIQUE INDEX not_distinct ON "Sales Ops"."Order Items" (u) NULLS NOT DISTINCT;
CREATE INDEX on_domain ON "Sales Ops"."Order Items" (p);
CREATE INDEX on_enum ON "Sales Ops"."Order Items" (m);
CREATE INDEX long_name_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    ON "Sales Ops"."Order Items" (aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa);
CREATE INDEX "select" ON "Sales Ops"."Order Items" ("select", id);
CREATE TABLE parted (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE parted_2026 PARTITION OF parted FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX parted_at ON parted (at);
CREATE TABLE public.plain (id int PRIMARY KEY, a int, b text);
CREATE INDEX plain_ab ON public.plain (a, b);
'''


def test_every_collected_definition_is_what_pg_get_indexdef_prints(pg_db):
    server, db = pg_db
    server.run(db, SCHEMA)
    snap = collect_snapshot(server.dsn(db), only={"indexes"})
    frame = snap["indexes"]
    assert len(frame) >= 30
    with server.connect(db) as conn:
        expected = dict(conn.execute("SELECT indexrelid::bigint, pg_get_indexdef(indexrelid) FROM pg_index").fetchall())
    got = dict(zip(frame["indexrelid"], frame["definition"]))
    wrong = {oid: (got[oid], expected[oid]) for oid in got if got[oid] != expected[oid]}
    assert not wrong, wrong
    names = set(frame["index"])
    assert {"plain_one", "Unique Two", "with_include", "on_varchar", "not_distinct", "parted_at", "select",
            "long_name_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} <= names


def test_the_plain_ones_are_written_without_pg_get_indexdef(pg_db):
    """Which indexes the collector writes itself (the others still go through pg_get_indexdef)."""
    server, db = pg_db
    server.run(db, SCHEMA)
    with server.connect(db) as conn:
        version = conn.info.server_version
        context = ServerContext(engine="postgres", version_num=version, flavor="postgres")
        spec = choose(load_specs("postgres"), context)["indexes"]
        assert "ELSE pg_get_indexdef(i.indexrelid) END AS definition" in spec.sql
        sql = spec.sql.replace("ELSE pg_get_indexdef(i.indexrelid) END AS definition", "END AS definition")
        cur = conn.execute(sql)
        names = [d.name for d in cur.description]
        written = {row[names.index("index")] for row in cur.fetchall() if row[names.index("definition")]}
    assert {"plain_one", "Unique Two", "with_include", "on_text", "on_unicode", "on_c_column", "hashed",
            "gin_default", "brin_ts", "select", "plain_ab", "plain_pkey",
            "long_name_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} <= written
    assert not written & {"descending", "nulls_first", "on_varchar", "collated", "pattern_ops", "partial", "expression",
                          "mixed_expression", "gin_path", "gin_array", "fill", "not_distinct", "on_domain", "on_enum",
                          "parted_at"}


def test_the_frame_is_what_the_reference_variant_gives(pg_db):
    """``indexes.sql`` (PostgreSQL 14 and older) still reads every per-column array on its own, calls
    pg_get_indexdef for every index and sorts on the server: on the same catalog, the variant this server
    runs (one pass over the columns, plain definitions written, rows sorted by dbxray) gives the same frame,
    row for row and column for column."""
    import pandas as pd

    server, db = pg_db
    server.run(db, SCHEMA)
    snap = collect_snapshot(server.dsn(db), only={"indexes"})
    assert snap.run_of("indexes").source != "indexes.sql"
    reference = next(s for s in load_specs("postgres") if s.path.name == "indexes.sql")
    with server.connect(db) as conn:
        cur = conn.execute(reference.sql)
        expected = pd.DataFrame.from_records(cur.fetchall(), columns=[d.name for d in cur.description])
    pd.testing.assert_frame_equal(snap["indexes"], expected, check_index_type=False)
