"""Shared server fixtures, one server of each kind per session, each test creating the databases it
needs: PostgreSQL with pg_stat_statements preloaded and one without it; MariaDB with performance_schema
ON and one with it OFF (throwaway servers started from the local binaries); MySQL 8 through
testcontainers when a Docker daemon answers."""

from __future__ import annotations

import pytest

from tests.mysql.servers import MyServer, start_mysql
from tests.mysql.servers import stop as stop_mysql
from tests.servers import PgServer, start_postgres, stop


@pytest.fixture(autouse=True)
def _pacing_flags_are_the_libraries(monkeypatch):
    """The dbxray entry point marks its process as dbxray's own (lower its priority, pace its own start)
    and gives the marks back when it returns; every test starts unmarked whatever ran before it (a busy
    report in a marked test runner would pause for the runner's whole lifetime and renice it)."""
    from dbxray import pacing

    monkeypatch.setattr(pacing, "LOWER_PRIORITY_WHEN_BUSY", False)
    monkeypatch.setattr(pacing, "PACE_PROCESS_START", False)


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


def clear_digests(server: MyServer) -> None:
    """Start from an empty digest table: the local server keeps digests across test runs (every run
    creates new databases), and once performance_schema_digests_size is reached new statements are
    only counted in the overflow row, so the statement checks would have nothing to look at.
    Only on a server the suite started (never on DBXRAY_TEST_MYSQL_DSN's)."""
    if not server.owned:
        return
    with server.admin() as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")


@pytest.fixture(scope="session")
def my() -> MyServer:
    """A server with performance_schema ON and statement digests collected."""
    server = start_mysql(performance_schema=True)
    if "mariadb" not in str(server.scalar("SELECT VERSION()")).lower():
        stop_mysql(server)
        pytest.skip(f"{server.label} is not MariaDB: this suite seeds with MariaDB's SEQUENCE engine "
                    "(MySQL 8 has its own tests in test_mysql8.py)")
    clear_digests(server)
    yield server
    stop_mysql(server)


@pytest.fixture(scope="session")
def my_plain() -> MyServer:
    """A throwaway MariaDB with performance_schema OFF (MariaDB's default), userstat and the slow log
    off until a test turns them on."""
    server = start_mysql(performance_schema=False, settings={"innodb-buffer-pool-size": "16M"})
    yield server
    stop_mysql(server)


@pytest.fixture(scope="session")
def mysql8() -> MyServer:
    """MySQL 8.0 in a container (testcontainers), or a skip saying why."""
    from tests.servers import docker_available

    if not docker_available():
        pytest.skip("MySQL 8 runs only through testcontainers and no Docker daemon answers here "
                    "(MySQL 8 binaries are not installable on this machine)")
    from testcontainers.mysql import MySqlContainer

    # mysql_native_password: PyMySQL needs the `cryptography` package (or TLS) for caching_sha2_password
    container = MySqlContainer("mysql:8.0", username="root", password="test").with_command(
        "--default-authentication-plugin=mysql_native_password --performance-schema=ON")
    container.start()
    server = MyServer(container.get_container_host_ip(), int(container.get_exposed_port(3306)), "root", "test",
                      label="testcontainers mysql:8.0", owned=container)
    yield server
    stop_mysql(server)


@pytest.fixture
def my_db(my: MyServer):
    """A fresh database on the performance_schema server, dropped afterwards: (server, name)."""
    name = my.new_database()
    yield my, name
    my.drop_database(name)


@pytest.fixture
def plain_db(my_plain: MyServer):
    name = my_plain.new_database("plain")
    yield my_plain, name
    my_plain.drop_database(name)
