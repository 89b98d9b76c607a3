"""docker/: no Docker daemon runs here, so the files are parsed and checked for the settings that
matter, and the seed script the container runs at initdb is run for real against a local server."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml

from dbxray.demo.sandbox import PostgresSandbox, find_postgres_bindir
from dbxray.demo.shop import DATA_DIR, seed_files

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
SEED_SCRIPT = DOCKER / "postgres" / "initdb" / "10-dbxray-seed.sh"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def instruction(steps: list[tuple[str, str]], name: str) -> list[str]:
    return [args for word, args in steps if word == name]


def build_of(service: dict) -> tuple[Path, Path]:
    """(context directory, Dockerfile) of a compose service, resolved as compose resolves them."""
    context = (DOCKER / service["build"]["context"]).resolve()
    return context, context / service["build"]["dockerfile"]


def copy_sources(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    pairs = []
    for args in instruction(steps, "COPY"):
        parts = [p for p in shlex.split(args) if not p.startswith("--")]
        pairs.extend((src, parts[-1]) for src in parts[:-1])
    return pairs


def assert_context_has(context: Path, dockerfile_path: Path, sources: list[str]) -> None:
    """Every COPY source exists in the context and is let through the Dockerfile's .dockerignore."""
    ignore = Path(str(dockerfile_path) + ".dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    assert "*" in ignore, "the ignore file should exclude everything it does not allow"
    for src in sources:
        assert (context / src).exists(), f"COPY source {src} missing from the build context {context}"
        assert any(src.rstrip("/") == a or src.startswith(a + "/") for a in allowed), \
            f"{src} is excluded by {dockerfile_path.name}.dockerignore"


# -- the PostgreSQL service ----------------------------------------------------------------------

def test_postgres_service_preloads_pg_stat_statements(compose):
    pg = compose["services"]["postgres"]
    settings = [a for a in pg["command"] if "=" in a]
    preload = next(a for a in settings if a.startswith("shared_preload_libraries="))
    assert "pg_stat_statements" in preload.split("=", 1)[1].split(",")
    assert "track_io_timing=on" in settings
    # the image's own CMD preloads it too, so the image works without this compose file
    _, df = build_of(pg)
    cmd = json.loads(instruction(dockerfile(df), "CMD")[-1])
    assert any(a.startswith("shared_preload_libraries=") and "pg_stat_statements" in a for a in cmd)
    assert [a for a in cmd if "=" in a] == settings


def test_postgres_image_is_16_with_hypopg(compose):
    _, df = build_of(compose["services"]["postgres"])
    steps = dockerfile(df)
    assert instruction(steps, "FROM") == ["postgres:16"]
    runs = " ".join(instruction(steps, "RUN"))
    # PG_MAJOR is set by the official image (16 here); apt.postgresql.org ships postgresql-16-hypopg
    assert re.search(r"apt-get install .*postgresql-\$\{PG_MAJOR\}-hypopg", runs)
    assert "apt-get update" in runs


def test_postgres_image_seeds_with_the_demo_sql(compose):
    pg = compose["services"]["postgres"]
    context, df = build_of(pg)
    assert context == ROOT
    copies = dict(copy_sources(dockerfile(df)))
    assert_context_has(context, df, list(copies))
    seed_src = next(src for src, dest in copies.items() if dest.rstrip("/") == "/dbxray/seed")
    assert (context / seed_src).resolve() == DATA_DIR
    assert [f.path.name for f in seed_files()] == sorted(p.name for p in DATA_DIR.glob("*.sql"))
    script_src = next(src for src, dest in copies.items() if dest.startswith("/docker-entrypoint-initdb.d/"))
    assert (context / script_src).resolve() == SEED_SCRIPT
    assert "/dbxray/seed" in SEED_SCRIPT.read_text(encoding="utf-8")
    assert os.access(SEED_SCRIPT, os.X_OK)
    assert pg["environment"]["POSTGRES_DB"] == "shop"


def test_postgres_port_and_healthcheck(compose):
    pg = compose["services"]["postgres"]
    assert pg["ports"] == ["127.0.0.1:5433:5432"]
    check = pg["healthcheck"]
    test = check["test"]
    assert test[0] == "CMD-SHELL" and "pg_isready" in test[1]
    # over TCP: the entrypoint's initdb-time server listens on its socket only, so healthy = seeded
    assert "-h 127.0.0.1" in test[1] and "-d shop" in test[1]
    assert check["retries"] * int(check["interval"].rstrip("s")) >= 60


def test_published_ports_do_not_clash(compose):
    """Room for the MariaDB service to come: every published host port is distinct, and none takes
    the standard ports of a PostgreSQL or MariaDB already running on the host."""
    published = [p.rsplit(":", 1)[0] for svc in compose["services"].values() for p in svc.get("ports", [])]
    assert len(published) == len(set(published))
    assert not {p.rsplit(":", 1)[-1] for p in published} & {"5432", "3306"}


# -- dbxray's own image ---------------------------------------------------------------------------

def test_dbxray_image(compose):
    svc = compose["services"]["dbxray"]
    context, df = build_of(svc)
    steps = dockerfile(df)
    assert instruction(steps, "FROM") == ["python:3.12-slim"]
    assert json.loads(instruction(steps, "ENTRYPOINT")[-1]) == ["dbxray"]
    assert any(re.search(r"pip install \.(\s|$)", r) for r in instruction(steps, "RUN"))
    sources = [src for src, _ in copy_sources(steps)]
    assert_context_has(context, df, sources)
    # what `pip install .` needs: the project file, its readme, the package and the collectors
    assert {"pyproject.toml", "README.md", "src/", "collectors/"} <= set(sources)
    assert 'dbxray = "dbxray.cli:main"' in (context / "pyproject.toml").read_text(encoding="utf-8")
    assert instruction(steps, "USER"), "dbxray needs no root inside its container"


def test_tool_services_point_at_the_seeded_server(compose):
    for name in ("dbxray", "workload", "incidents"):
        svc = compose["services"][name]
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        dsn = svc["environment"]["DATABASE_URL"]
        assert dsn.startswith("postgresql://") and "@postgres:5432/shop" in dsn
        assert build_of(svc)[1] == DOCKER / "dbxray" / "Dockerfile"
    assert compose["services"]["workload"]["entrypoint"] == ["python", "-m", "dbxray.demo.shop", "workload"]
    assert compose["services"]["incidents"]["entrypoint"] == ["python", "-m", "dbxray.demo.shop", "incidents"]
    assert compose["services"]["dbxray"]["command"] == ["report"]


# -- the initdb seed script and the workload command, run for real --------------------------------

@pytest.mark.skipif(find_postgres_bindir() is None, reason="no PostgreSQL server binaries here")
def test_container_seed_script_and_workload_command_work(tmp_path):
    """What the container does at its first start, on a local throwaway server: same SQL, via psql."""
    with PostgresSandbox(fast=True) as sandbox:
        sandbox.psql("CREATE DATABASE shop")
        env = {**os.environ, "PATH": f"{sandbox.bindir}{os.pathsep}{os.environ['PATH']}",
               "PGHOST": "127.0.0.1", "PGPORT": str(sandbox.port), "POSTGRES_USER": "postgres",
               "POSTGRES_DB": "shop", "DBXRAY_SEED_DIR": str(DATA_DIR)}
        proc = subprocess.run(["bash", str(SEED_SCRIPT)], capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "the error below is expected" in proc.stdout and "dbxray seed: done" in proc.stdout
        dsn = sandbox.dsn("shop")
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 200000
            invalid = conn.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid").fetchall()
            assert invalid == [("customers_phone_key",)]
            assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = 'deploy_admin'").fetchone() == (True,)
            exts = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
            assert "pg_stat_statements" in exts
            if conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'").fetchone():
                assert "hypopg" in exts

        # the compose `workload` service's command, then the `dbxray` service's command
        work = subprocess.run([sys.executable, "-m", "dbxray.demo.shop", "workload", "--seconds", "2"],
                              capture_output=True, text=True, env={**env, "DATABASE_URL": dsn}, timeout=120)
        assert work.returncode == 0, work.stderr
        assert "statements in" in work.stderr
        report = subprocess.run([str(Path(sys.executable).with_name("dbxray")), "report", "--format", "json"],
                                capture_output=True, text=True, env={**env, "DATABASE_URL": dsn}, timeout=120)
        assert report.returncode == 0, report.stderr
        checks = {f["check"] for f in json.loads(report.stdout)["findings"]}
        assert {"invalid_index", "sequence_exhaustion", "missing_primary_key", "n_plus_one"} <= checks


MARIADB_SEED = DOCKER / "mariadb" / "initdb" / "10-shop.sql"
MARIADB_TRAFFIC = DOCKER / "mariadb" / "traffic.sql"


def test_mariadb_service_has_performance_schema_and_its_seed(compose):
    service = compose["services"]["mariadb"]
    assert service["image"].startswith("mariadb:10.11")
    flags = " ".join(service["command"])
    assert "--performance-schema=ON" in flags and "--performance-schema-consumer-statements-digest=ON" in flags
    assert any(v.startswith("./mariadb/initdb:/docker-entrypoint-initdb.d") for v in service["volumes"])
    assert service["ports"] == ["127.0.0.1:3307:3306"] and "healthcheck.sh" in service["healthcheck"]["test"]
    assert MARIADB_SEED.exists() and MARIADB_TRAFFIC.exists()
    env = compose["services"]["dbxray-mariadb"]["environment"]
    assert env["DATABASE_URL"].startswith("mariadb://") and env["DATABASE_URL"].endswith("/shop")


def test_mariadb_seed_and_traffic_run_and_dbxray_finds_the_planted_problems(my):
    """The seed the container runs at first start, run for real on the suite's throwaway MariaDB, then the
    report."""
    db = my.new_database("docker_seed")
    admin = my.admin(db)
    try:
        with admin.cursor() as cur:
            # a full digest table (performance_schema_digests_size) would leave the new statements uncounted
            cur.execute("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
            cur.execute(MARIADB_SEED.read_text())
            while cur.nextset():
                pass
            # one statement at a time, as the mariadb client in the workload service sends them
            # (a multi-statement packet is digested as its first statement)
            traffic = [line for line in MARIADB_TRAFFIC.read_text().splitlines() if line and not line.startswith("--")]
            for _ in range(2):
                for statement in traffic:
                    cur.execute(statement)
                    cur.fetchall()
        result = subprocess.run([str(Path(sys.executable).with_name("dbxray")), "report", "--format", "json",
                                 "--allow-partial", "--dsn", my.dsn(db, scheme="mariadb")],
                                capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        found = {(f["check"], f["object"].get("table"), f["object"].get("index"))
                 for f in json.loads(result.stdout)["findings"]}
        assert ("missing_primary_key", "order_items", None) in found
        assert ("duplicate_index", "order_items", "ix_items_order_copy") in found or \
            ("duplicate_index", "order_items", "ix_items_order") in found
        assert ("redundant_index", "orders", "ix_orders_status") in found
        assert ("sequence_exhaustion", "cart_events", None) in found
        with admin.cursor() as cur:
            cur.execute("SELECT @@performance_schema")
            pfs_on = bool(cur.fetchone()[0])
        if pfs_on:  # the digests show the lookups by unindexed columns (scripts/ci-mariadb.sh turns it on)
            tables = {t for c, t, _ in found if c == "missing_index"}
            assert {"orders", "customers"} <= tables, found
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        admin.close()
