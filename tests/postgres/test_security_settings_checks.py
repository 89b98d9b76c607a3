"""Security and settings checks, and extension_missing with its exact instructions."""

from __future__ import annotations

from tests.postgres.helpers import findings, report


def test_extra_login_superuser_is_found_but_not_bootstrap_or_nologin(pg_db):
    pg, name = pg_db
    with pg.connect() as conn:
        for role, opts in (("ops_admin", "LOGIN SUPERUSER"), ("app_user", "LOGIN"), ("maint", "NOLOGIN SUPERUSER")):
            conn.execute(f"DROP ROLE IF EXISTS {role}")
            conn.execute(f"CREATE ROLE {role} {opts}")
    try:
        rep = report(pg.dsn(name))
        roles = {f.object["role"] for f in findings(rep, "superuser_role")}
        assert roles == {"ops_admin"}
        (f,) = findings(rep, "superuser_role")
        with pg.connect() as conn:
            conn.execute(f.sql)
        assert not findings(report(pg.dsn(name)), "superuser_role")
    finally:
        with pg.connect() as conn:
            for role in ("ops_admin", "app_user", "maint"):
                conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_public_schema_create_only_when_granted(pg_db):
    pg, name = pg_db
    assert not findings(report(pg.dsn(name)), "public_schema_create")  # PostgreSQL 15 default
    pg.run(name, "GRANT CREATE ON SCHEMA public TO PUBLIC")
    (f,) = findings(report(pg.dsn(name)), "public_schema_create")
    assert f.object["schema"] == "public" and f.sql == "REVOKE CREATE ON SCHEMA public FROM PUBLIC;"


def test_trust_on_loopback_is_reported_as_info_from_pg_hba(pg_db):
    pg, name = pg_db
    hits = findings(report(pg.dsn(name)), "weak_auth")
    assert hits and all(f.severity == "info" and f.evidence["loopback_only"] for f in hits)
    assert any(f.evidence["method"] == "trust" for f in hits)


def test_planner_switch_and_io_timing_settings_per_database(pg_db):
    pg, name = pg_db
    quiet = report(pg.dsn(name))
    assert not findings(quiet, "setting", setting="enable_seqscan")
    assert not findings(quiet, "setting", setting="track_io_timing")  # on in the test server
    pg.run(name, f"ALTER DATABASE {name} SET enable_seqscan = off; ALTER DATABASE {name} SET track_io_timing = off")
    rep = report(pg.dsn(name))
    (sw,) = findings(rep, "setting", setting="enable_seqscan")
    assert sw.severity == "warning" and sw.evidence["source"] == "database"
    assert findings(rep, "setting", setting="track_io_timing")


def test_small_work_mem_with_heavy_temp_files(pg_db):
    pg, name = pg_db
    pg.run(name, "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 200000) g")
    with pg.connect(name) as conn:
        conn.execute("SET work_mem = '64kB'")
        conn.execute("SELECT * FROM big ORDER BY h").fetchall()
    assert not findings(report(pg.dsn(name)), "setting", setting="work_mem")  # a few MB a day is fine
    rep = report(pg.dsn(name), setting={"temp_gb_per_day": 0.001})
    (f,) = findings(rep, "setting", setting="work_mem")
    assert f.evidence["temp_bytes"] > 0


def test_extension_missing_says_exactly_how_to_enable_pg_stat_statements(pg_plain):
    name = pg_plain.new_database("nopgss")
    try:
        rep = report(pg_plain.dsn(name))
        (f,) = findings(rep, "extension_missing", extension="pg_stat_statements")
        assert f.severity == "warning"
        assert "shared_preload_libraries" in f.recommendation and "restart" in f.recommendation
        assert "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';" in f.sql
        assert "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;" in f.sql
        # created but not preloaded: the collector fails, and the advice says to preload it
        pg_plain.run(name, "CREATE EXTENSION pg_stat_statements")
        rep = report(pg_plain.dsn(name))
        (f,) = findings(rep, "extension_missing", extension="pg_stat_statements")
        assert f.evidence["created"] is True and f.evidence["preloaded"] is False
        assert "CREATE EXTENSION" not in (f.sql or "") and "shared_preload_libraries" in f.sql
        assert any(c["name"] == "statements" and c["status"] == "error" for c in rep.collection["collectors"])
    finally:
        pg_plain.drop_database(name)


def test_no_pg_stat_statements_finding_when_it_works(pg_db):
    pg, name = pg_db
    pg.run(name, "CREATE EXTENSION pg_stat_statements")
    assert not findings(report(pg.dsn(name)), "extension_missing", extension="pg_stat_statements")
