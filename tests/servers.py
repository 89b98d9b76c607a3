"""Where the tests get their servers, in this order:

1. a DSN from the environment (``DBXRAY_TEST_PG_DSN``, ``DBXRAY_TEST_MYSQL_DSN``);
2. a throwaway server started from the local binaries (``dbxray.demo.sandbox``);
3. ``testcontainers`` when a Docker daemon answers (a laptop with only Docker).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

import psycopg
import pytest
from psycopg import sql as pgsql

from dbxray.demo.sandbox import PostgresSandbox, find_postgres_bindir

_counter = itertools.count(1)

# tests that start their own throwaway cluster (wraparound via pg_resetwal, password auth) need the
# server binaries; on a laptop with only Docker they skip and the rest runs through testcontainers
needs_pg_binaries = pytest.mark.skipif(find_postgres_bindir() is None,
                                       reason="needs PostgreSQL server binaries for a throwaway cluster")


def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except Exception:
        return False


@dataclass
class PgServer:
    """A PostgreSQL server the tests may create databases and roles on."""

    admin_dsn: str
    preloaded: tuple[str, ...] = ()
    _owned: object = field(default=None, repr=False)

    def dsn(self, database: str, user: str | None = None, password: str | None = None) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.admin_dsn)
        user = user or info.get("user", "postgres")
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{database}"

    def connect(self, database: str = "postgres", **kw) -> psycopg.Connection:
        return psycopg.connect(self.dsn(database), autocommit=True, **kw)

    def new_database(self, prefix: str = "t") -> str:
        """Create a fresh, empty database and return its name."""
        name = re.sub(r"\W", "_", f"{prefix}_{os.getpid()}_{next(_counter)}").lower()
        with self.connect() as conn:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
        return name

    def run(self, database: str, statements: str) -> None:
        """Run a script (several statements) as the admin user."""
        with self.connect(database) as conn:
            conn.execute(statements)

    def drop_database(self, name: str) -> None:
        with self.connect() as conn, contextlib.suppress(Exception):
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


def start_postgres(preload: tuple[str, ...]) -> tuple[PgServer, object]:
    env_dsn = os.environ.get("DBXRAY_TEST_PG_DSN") if preload else None
    if env_dsn:
        return PgServer(env_dsn, preload), None
    if find_postgres_bindir():
        sandbox = PostgresSandbox(preload=preload, settings={"track_io_timing": "on"}, fast=True).start()
        return PgServer(sandbox.dsn(), preload), sandbox
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        cmd = "postgres" + (f" -c shared_preload_libraries={','.join(preload)}" if preload else "")
        container = PostgresContainer("postgres:16", driver=None).with_command(cmd)
        container.start()
        dsn = container.get_connection_url()
        return PgServer(dsn, preload), container
    pytest.skip("no PostgreSQL: set DBXRAY_TEST_PG_DSN, install the server binaries, or run Docker")
    raise AssertionError


def stop(owned: object) -> None:
    if owned is None:
        return
    stopper = getattr(owned, "stop", None)
    if stopper:
        stopper()
