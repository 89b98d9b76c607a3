"""Index checks against a real server: each planted problem is found, each near-miss is left alone."""

from __future__ import annotations

import psycopg
import pytest

from tests.postgres.helpers import findings, report


@pytest.fixture(scope="module")
def indexed_db(pg):
    """One database holding every index situation the checks must tell apart."""
    name = pg.new_database("ix")
    pg.run(name, """
        CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, region int, score int,
                               created_at timestamptz DEFAULT now());
        INSERT INTO accounts SELECT g, 'u' || g || '@x.io', g % 50, g % 1000, now() - g * interval '1 min'
          FROM generate_series(1, 60000) g;
        -- unused: a plain 1+ MB index nobody scans
        CREATE INDEX accounts_email_score_unused ON accounts (email, score);
        -- unused too, but small (deduplicated B-tree of 1000 values): below the 1 MB default
        CREATE INDEX accounts_score ON accounts (score);
        -- unique and never scanned: must not be called unused
        CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
        -- duplicate of the primary key
        CREATE INDEX accounts_id_dup ON accounts (id);
        -- redundant prefix of (region, created_at)
        CREATE INDEX accounts_region ON accounts (region);
        CREATE INDEX accounts_region_created ON accounts (region, created_at);
        -- near-misses: partial index on region is not made redundant by the full one
        CREATE INDEX accounts_region_recent ON accounts (region) WHERE created_at > '2020-01-01';
        -- near-miss: a hash index on score is another access method, not a duplicate of the btree
        CREATE INDEX accounts_score_hash ON accounts USING hash (score);
        -- near-miss: descending prefix of a different direction pattern stays distinct from a duplicate
        CREATE INDEX accounts_created_desc ON accounts (created_at DESC, region);

        CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts(id) ON DELETE CASCADE,
                               seller_id bigint REFERENCES accounts(id), total numeric);
        INSERT INTO invoices SELECT g, 1 + g % 60000, 1 + g % 500, g FROM generate_series(1, 20000) g;
        -- seller_id is indexed, but only as the second column: still unindexed for the FK
        CREATE INDEX invoices_total_seller ON invoices (total, seller_id);

        CREATE TABLE refunds (id bigint PRIMARY KEY, invoice_id bigint REFERENCES invoices(id));
        INSERT INTO refunds SELECT g, g FROM generate_series(1, 5000) g;
        CREATE INDEX refunds_invoice ON refunds (invoice_id);  -- near-miss: FK covered

        CREATE TABLE dupes (id int PRIMARY KEY, code int);
        INSERT INTO dupes SELECT g, g % 10 FROM generate_series(1, 1000) g;
        ANALYZE;
    """)
    # use a few indexes so that they are not "unused"
    with pg.connect(name) as conn:
        for _ in range(3):
            conn.execute("SELECT * FROM accounts WHERE region = 7 ORDER BY created_at LIMIT 5")
            conn.execute("SELECT * FROM accounts WHERE id = 42")
    # a failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index behind
    with pg.connect(name) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("CREATE UNIQUE INDEX CONCURRENTLY dupes_code_key ON dupes (code)")
    yield pg, name
    pg.drop_database(name)


@pytest.fixture(scope="module")
def rep(indexed_db):
    pg, name = indexed_db
    return report(pg.dsn(name))


def test_unused_index_is_found_with_statistics_age(rep):
    hits = findings(rep, "unused_index", table="accounts", index="accounts_email_score_unused")
    assert len(hits) == 1
    f = hits[0]
    assert f.severity == "info"  # statistics are seconds old: too young to be sure
    assert f.evidence["stats_age"] and f.evidence["idx_scan"] == 0
    assert "DROP INDEX CONCURRENTLY public.accounts_email_score_unused;" in f.sql
    assert "-- undo: CREATE INDEX CONCURRENTLY accounts_email_score_unused ON public.accounts" in f.sql


def test_unused_index_never_names_unique_or_primary_or_used_indexes(rep):
    named = {f.object["index"] for f in findings(rep, "unused_index")}
    assert "accounts_email_key" not in named
    assert "accounts_pkey" not in named
    assert "accounts_region_created" not in named  # scanned by the workload
    assert "refunds_invoice" not in named  # below the 1 MB default
    assert "accounts_score" not in named  # below the 1 MB default


def test_unused_index_is_a_warning_once_statistics_are_old(indexed_db):
    pg, name = indexed_db
    rep = report(pg.dsn(name), unused_index={"min_stats_days": 0})
    (f,) = findings(rep, "unused_index", index="accounts_email_score_unused")
    assert f.severity == "warning"


def test_duplicate_of_primary_key_is_found_and_pk_is_kept(rep):
    hits = findings(rep, "duplicate_index", table="accounts")
    assert [f.object["index"] for f in hits] == ["accounts_id_dup"]
    assert hits[0].evidence["duplicate_of"] == "accounts_pkey"
    assert hits[0].sql.startswith("DROP INDEX CONCURRENTLY public.accounts_id_dup;")


def test_hash_index_is_not_a_duplicate_of_btree(rep):
    assert not findings(rep, "duplicate_index", index="accounts_score_hash")
    assert not findings(rep, "duplicate_index", index="accounts_score")


def test_redundant_prefix_index_is_found(rep):
    hits = findings(rep, "redundant_index", table="accounts")
    assert [f.object["index"] for f in hits] == ["accounts_region"]
    assert hits[0].evidence["covered_by"] == "accounts_region_created"
    assert hits[0].object["columns"] == ["region"]


def test_partial_and_unique_indexes_are_not_redundant(rep):
    named = {f.object["index"] for f in findings(rep, "redundant_index")}
    assert "accounts_region_recent" not in named  # partial: not served by the full index
    assert "accounts_pkey" not in named and "accounts_id_dup" not in named


def test_invalid_index_from_failed_concurrent_build(rep):
    (f,) = findings(rep, "invalid_index", index="dupes_code_key")
    assert f.severity == "warning"
    assert "REINDEX INDEX CONCURRENTLY public.dupes_code_key" in f.sql
    assert "UNIQUE" in f.recommendation
    assert not findings(rep, "invalid_index", index="accounts_pkey")


def test_missing_fk_index_found_even_when_column_is_second_in_an_index(rep):
    hits = {tuple(f.object["columns"]): f for f in findings(rep, "missing_fk_index", table="invoices")}
    assert set(hits) == {("account_id",), ("seller_id",)}
    assert hits[("account_id",)].severity == "warning"  # ON DELETE CASCADE over 20k rows
    assert hits[("account_id",)].sql == "CREATE INDEX CONCURRENTLY ON public.invoices (account_id);"
    assert not findings(rep, "missing_fk_index", table="refunds")  # covered by refunds_invoice


def test_generated_fix_sql_runs_and_clears_the_finding(indexed_db):
    pg, name = indexed_db
    before = report(pg.dsn(name))
    fixes = [f.sql for f in findings(before, "missing_fk_index", table="invoices")]
    fixes += [f.sql for f in findings(before, "redundant_index", table="accounts")]
    assert fixes
    with pg.connect(name) as conn:
        for sql in fixes:
            conn.execute(sql)
    after = report(pg.dsn(name))
    assert not findings(after, "missing_fk_index", table="invoices")
    assert not findings(after, "redundant_index", table="accounts")


def test_identifiers_with_spaces_and_quotes_are_quoted(pg_db):
    pg, name = pg_db
    pg.run(name, '''
        CREATE SCHEMA "Sales Ops";
        CREATE TABLE "Sales Ops"."Order Items" (id int PRIMARY KEY, "Order ID" int);
        CREATE TABLE "Sales Ops"."it's ""quoted""" (id int PRIMARY KEY,
            "Item ID" int REFERENCES "Sales Ops"."Order Items"(id));
        INSERT INTO "Sales Ops"."Order Items" SELECT g, g FROM generate_series(1, 3000) g;
        INSERT INTO "Sales Ops"."it's ""quoted""" SELECT g, g FROM generate_series(1, 3000) g;
        CREATE INDEX "Order Items by order" ON "Sales Ops"."Order Items" ("Order ID");
        CREATE INDEX "Order Items by order (copy)" ON "Sales Ops"."Order Items" ("Order ID");
        ANALYZE;
    ''')
    rep = report(pg.dsn(name))
    (fk,) = findings(rep, "missing_fk_index", table='it\'s "quoted"')
    assert fk.sql == 'CREATE INDEX CONCURRENTLY ON "Sales Ops"."it\'s ""quoted""" ("Item ID");'
    (dup,) = findings(rep, "duplicate_index", table="Order Items")
    assert '"Sales Ops"."Order Items by order (copy)"' in dup.sql or '"Sales Ops"."Order Items by order"' in dup.sql
    with pg.connect(name) as conn:
        conn.execute(fk.sql)
        for statement in dup.sql.split("\n"):
            if statement and not statement.startswith("--"):
                conn.execute(statement)
    after = report(pg.dsn(name))
    assert not findings(after, "missing_fk_index", table='it\'s "quoted"')
    assert not findings(after, "duplicate_index", table="Order Items")


def test_index_bloat_after_mass_delete_and_reindex_clears_it(pg_db):
    pg, name = pg_db
    pg.run(name, """
        CREATE TABLE readings (id int PRIMARY KEY, sensor int);
        INSERT INTO readings SELECT g, (random() * 1e9)::int FROM generate_series(1, 300000) g;
        CREATE INDEX readings_sensor ON readings (sensor);
        CREATE INDEX readings_sensor_fresh ON readings (sensor);
    """)
    pg.run(name, "DELETE FROM readings WHERE id % 5 <> 0")  # 80% of the entries, spread over every page
    pg.run(name, "VACUUM ANALYZE readings")
    pg.run(name, "REINDEX INDEX readings_sensor_fresh")  # near-miss: rebuilt, only fillfactor's free space
    rep = report(pg.dsn(name), index_bloat={"min_bytes": 1048576})
    hits = {f.object["index"]: f for f in findings(rep, "index_bloat", table="readings")}
    assert "readings_sensor" in hits and "readings_sensor_fresh" not in hits
    f = hits["readings_sensor"]
    assert 60 <= f.evidence["bloat_pct"] <= 90 and f.severity == "warning"
    assert not findings(report(pg.dsn(name)), "index_bloat")  # below the 10 MB default
    with pg.connect(name) as conn:
        conn.execute(f.sql)
    pg.run(name, "ANALYZE readings")
    after = report(pg.dsn(name), index_bloat={"min_bytes": 1048576})
    assert "readings_sensor" not in {x.object["index"] for x in findings(after, "index_bloat")}
