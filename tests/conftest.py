"""Shared server fixtures: one PostgreSQL per session (with pg_stat_statements preloaded) and one
without it, each test creating the databases it needs."""

from __future__ import annotations

import pytest

from tests.servers import PgServer, start_postgres, stop


@pytest.fixture(scope="session")
def pg() -> PgServer:
    """A PostgreSQL server with pg_stat_statements preloaded (and hypopg when installed)."""
    server, owned = start_postgres(("pg_stat_statements",))
    yield server
    stop(owned)


@pytest.fixture(scope="session")
def pg_plain() -> PgServer:
    """A PostgreSQL server without pg_stat_statements preloaded (the degraded path)."""
    server, owned = start_postgres(())
    yield server
    stop(owned)


@pytest.fixture
def pg_db(pg: PgServer):
    """A fresh database on the shared server, dropped afterwards; yields (server, name)."""
    name = pg.new_database()
    yield pg, name
    pg.drop_database(name)
