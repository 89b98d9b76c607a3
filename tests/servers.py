"""Where the tests get their servers, in this order:

1. a DSN from the environment (``DBXRAY_TEST_PG_DSN``, ``DBXRAY_TEST_MYSQL_DSN``);
2. a throwaway server started from the local binaries (``dbxray.demo.sandbox``);
3. ``testcontainers`` when a Docker daemon answers (a laptop with only Docker).

A server from the environment is someone's (staging) server: it is **not owned** by the suite, and
only read-only tests run on it. Every helper that writes to a server (a new database, a script, a
digest reset) calls :func:`require_owned` first, so a test that would create databases, roles,
settings or consumers, or truncate statistics, skips with that reason instead. A script that
creates HypoPG skips where the server does not have it.
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


NOT_OWNED = ("{label} is given by environment variable, so it is treated as someone's staging server: this "
             "test writes to the server (databases, roles, settings, statistics) and runs only on a server the test "
             "suite starts itself (unset {var} to use a throwaway one)")


# forget this database's statements only: a full reset would take those of every other test's database
# (the session's shared fixtures among them) with it
RESET_THIS_DATABASE = ("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database "
                       "WHERE datname = current_database()), 0)")


def require_owned(server) -> None:
    """Skip the calling test unless the suite started ``server`` itself (it may then write to it)."""
    if not server.owned:
        pytest.skip(NOT_OWNED.format(label=getattr(server, "label", "") or "this server",
                                     var=getattr(server, "env_var", "the DSN variable")))


_HYPOPG = re.compile(r"create\s+extension\s+(if\s+not\s+exists\s+)?\"?hypopg", re.IGNORECASE)


def require_hypopg(conn) -> None:
    """Skip the calling test when HypoPG is not installable on the server of ``conn``."""
    if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'").fetchone():
        pytest.skip("HypoPG is not available on this PostgreSQL server (install postgresql-NN-hypopg)")


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
    owned: bool = True  # False: from DBXRAY_TEST_PG_DSN, someone's server (read-only tests only)
    label: str = "the PostgreSQL server"
    env_var: str = "DBXRAY_TEST_PG_DSN"

    def dsn(self, database: str, user: str | None = None, password: str | None = None) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.admin_dsn)
        user = user or info.get("user", "postgres")
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{database}"

    def connect(self, database: str = "postgres", **kw) -> psycopg.Connection:
        return psycopg.connect(self.dsn(database), autocommit=True, **kw)

    def new_database(self, prefix: str = "t") -> str:
        """Create a fresh, empty database and return its name."""
        require_owned(self)
        name = re.sub(r"\W", "_", f"{prefix}_{os.getpid()}_{next(_counter)}").lower()
        with self.connect() as conn:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
        return name

    def run(self, database: str, statements: str) -> None:
        """Run a script (several statements) as the admin user."""
        require_owned(self)
        with self.connect(database) as conn:
            if _HYPOPG.search(statements):
                require_hypopg(conn)
            conn.execute(statements)

    def drop_database(self, name: str) -> None:
        with self.connect() as conn, contextlib.suppress(Exception):
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


def start_postgres(preload: tuple[str, ...]) -> tuple[PgServer, object]:
    env_dsn = os.environ.get("DBXRAY_TEST_PG_DSN") if preload else None
    if env_dsn:
        return PgServer(env_dsn, preload, owned=False, label="DBXRAY_TEST_PG_DSN's server"), None
    if find_postgres_bindir():
        # one server serves the whole suite: room for every test database's statements, or the oldest are
        # evicted (deallocated) and a later test's statement can vanish from pg_stat_statements
        settings = {"track_io_timing": "on"}
        if "pg_stat_statements" in preload:
            settings["pg_stat_statements.max"] = "50000"
        sandbox = PostgresSandbox(preload=preload, settings=settings, fast=True).start()
        return PgServer(sandbox.dsn(), preload, sandbox), sandbox
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        cmd = "postgres" + (f" -c shared_preload_libraries={','.join(preload)}" if preload else "")
        container = PostgresContainer("postgres:16", driver=None).with_command(cmd)
        container.start()
        dsn = container.get_connection_url()
        return PgServer(dsn, preload, container), container
    pytest.skip("no PostgreSQL: set DBXRAY_TEST_PG_DSN, install the server binaries, or run Docker")
    raise AssertionError


def stop(owned: object) -> None:
    if owned is None:
        return
    stopper = getattr(owned, "stop", None)
    if stopper:
        stopper()
