"""The PostgreSQL fixtures (``pg_db``) live in tests/conftest.py. The MariaDB scenarios of this folder run on
a MariaDB of their own (``my_db`` here shadows the shared one): they move server-wide counters (commits and
rollbacks, row-lock waits, temporary tables, buffer-pool reads) and switch performance_schema consumers on,
and MySQL keeps those for the whole server only; none of it may stay in the shared server for the tests
that run after these."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def own_mariadb():
    from tests.conftest import clear_digests
    from tests.mysql.servers import start_mysql, stop

    server = start_mysql(performance_schema=True, settings={"innodb-buffer-pool-size": "64M"})
    clear_digests(server)
    yield server
    stop(server)


@pytest.fixture
def my_db(own_mariadb):
    db = own_mariadb.new_database()
    yield own_mariadb, db
    own_mariadb.drop_database(db)


@pytest.fixture
def own_db(my_db):
    return my_db
