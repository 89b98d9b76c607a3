"""MySQL/MariaDB servers for the tests, and small helpers to seed them and drive a workload.

Order: ``DBXRAY_TEST_MYSQL_DSN``; else a throwaway MariaDB started from the local binaries (the
machine's own MariaDB is never touched: tests truncate digests and create accounts); else
testcontainers when a Docker daemon answers. The server of ``DBXRAY_TEST_MYSQL_DSN`` is someone's:
not ``owned``, read-only tests only (every writing helper skips the test, ``tests.servers.require_owned``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
from pymysql.constants import CLIENT

from dbxray.config import Config
from dbxray.pipeline import analyze_snapshot, collect_snapshot

_counter = itertools.count(1)


@dataclass
class MyServer:
    """A server the tests may create databases and accounts on (as an admin account)."""

    host: str
    port: int
    user: str = "root"
    password: str | None = None
    label: str = ""
    owned: Any = field(default=None, repr=False)  # the sandbox or container we started; None: not ours
    env_var: str = "DBXRAY_TEST_MYSQL_DSN"

    def dsn(self, database: str = "", user: str | None = None, password: str | None = None,
            scheme: str = "mysql") -> str:
        user = user or self.user
        password = password if user != self.user or password is not None else self.password
        auth = f"{user}:{password}" if password else user
        return f"{scheme}://{auth}@{self.host}:{self.port}/{database}"

    def admin(self, database: str | None = None, **kw: Any) -> pymysql.connections.Connection:
        """An admin connection (multi-statement scripts allowed): seeding only, never dbxray itself."""
        return pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password or "",
                               database=database, autocommit=True, client_flag=CLIENT.MULTI_STATEMENTS,
                               charset="utf8mb4", **kw)

    def run(self, database: str | None, script: str) -> None:
        from tests.servers import require_owned

        require_owned(self)
        with self.admin(database) as conn, conn.cursor() as cur:
            cur.execute(script)
            while cur.nextset():
                pass

    def scalar(self, sql: str, database: str | None = None) -> Any:
        with self.admin(database) as conn, conn.cursor() as cur:
            cur.execute(sql)
            row = cur.fetchone()
            return row[0] if row else None

    def new_database(self, prefix: str = "dbx") -> str:
        from tests.servers import require_owned

        require_owned(self)
        name = re.sub(r"\W", "_", f"{prefix}_{os.getpid()}_{next(_counter)}").lower()
        self.run(None, f"CREATE DATABASE `{name}`")
        return name

    def drop_database(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self.run(None, f"DROP DATABASE IF EXISTS `{name}`")

    def performance_schema(self) -> bool:
        return bool(int(self.scalar("SELECT @@performance_schema") or 0))


def workload(server: MyServer, database: str, statements: list[tuple[str, Any]], repeat: int = 1,
             **session: Any) -> None:
    """Run statements as an application would: default schema = ``database``, literals in the text."""
    from tests.servers import require_owned

    require_owned(server)
    with pymysql.connect(host=server.host, port=server.port, user=server.user, password=server.password or "",
                         database=database, autocommit=True, charset="utf8mb4") as conn, conn.cursor() as cur:
        for name, value in session.items():
            cur.execute(f"SET SESSION {name} = %s", (value,))
        for _ in range(repeat):
            for sql, params in statements:
                cur.execute(sql, params)
                cur.fetchall()


def report(dsn: str, **overrides: dict[str, Any]):
    """Collect and analyse with the real pipeline; ``overrides`` are per-check thresholds."""
    snap = collect_snapshot(dsn)
    return analyze_snapshot(snap, config=Config(checks=dict(overrides)))


def findings(rep: Any, check: str, **obj: Any) -> list:
    return [f for f in rep.findings if f.check == check and all(f.object.get(k) == v for k, v in obj.items())]


def _from_dsn(dsn: str, label: str) -> MyServer:
    url = urlsplit(dsn)
    return MyServer(url.hostname or "127.0.0.1", url.port or 3306, unquote(url.username or "root"),
                    unquote(url.password) if url.password else None, label=label)



def start_mysql(performance_schema: bool = True, settings: dict[str, str] | None = None) -> MyServer:
    """A server with performance_schema as asked; the caller stops ``owned`` (None when not ours)."""
    import pytest

    from tests.servers import docker_available
    from tests.support.mariadb import MariaDBSandbox, find_mariadb_binaries

    if performance_schema and not settings:
        env = os.environ.get("DBXRAY_TEST_MYSQL_DSN")
        if env:
            return _from_dsn(env, "DBXRAY_TEST_MYSQL_DSN")
    if find_mariadb_binaries():
        sandbox = MariaDBSandbox(performance_schema=performance_schema, settings=settings).start()
        server = MyServer("127.0.0.1", sandbox.port, label=f"throwaway MariaDB (performance_schema="
                          f"{'ON' if performance_schema else 'OFF'})")
        server.owned = sandbox
        return server
    if docker_available():
        from testcontainers.mysql import MySqlContainer

        cmd = f"--performance-schema={'ON' if performance_schema else 'OFF'}"
        container = MySqlContainer("mariadb:10.11", username="root", password="test").with_command(cmd)
        container.start()
        server = MyServer(container.get_container_host_ip(), int(container.get_exposed_port(3306)), "root", "test",
                          label="testcontainers mariadb:10.11")
        server.owned = container
        return server
    pytest.skip("no MariaDB/MySQL: set DBXRAY_TEST_MYSQL_DSN, install mariadb-server, or run Docker")
    raise AssertionError


def stop(server: MyServer) -> None:
    if server.owned is not None:
        server.owned.stop()
