"""MySQL / MariaDB sessions: URL DSNs, a read-only connection without a default schema, bounded by
timeouts."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from dbxray.connect import APPLICATION_NAME, QUERY_MARKER, Limits, Session, Target, one_line
from dbxray.errors import BadInput, ConnectionFailed, DbxrayError


def parse_dsn(dsn: str) -> Target:
    try:
        url = urlsplit(dsn)
        port = url.port
    except ValueError as exc:
        raise BadInput(f"malformed MySQL DSN: {one_line(str(exc), dsn)}") from None
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    params: dict[str, Any] = {
        "host": url.hostname or "localhost",
        "port": port or 3306,
        "user": unquote(url.username) if url.username else os.environ.get("USER", "root"),
        "password": unquote(url.password) if url.password is not None else os.environ.get("MYSQL_PWD"),
        "database": unquote(url.path.lstrip("/")) or None,
    }
    if "unix_socket" in query or "socket" in query:
        params["unix_socket"] = query.get("unix_socket") or query.get("socket")
    if query.get("ssl_ca") or query.get("ssl-ca"):
        params["ssl"] = {"ca": query.get("ssl_ca") or query.get("ssl-ca")}  # TLS, server certificate verified
    elif query.get("ssl", query.get("ssl-mode", "")).lower() in ("1", "true", "required"):
        # TLS without certificate verification (PyMySQL ignores an empty ssl dict); also what lets
        # caching_sha2_password (MySQL 8's default) authenticate without the RSA key exchange
        params["ssl"] = {"check_hostname": False}
    return Target("mysql", params, host=params["host"], port=params["port"],
                  database=params["database"] or "", user=params["user"])


class MySQLSession(Session):
    """A MySQL/MariaDB session WITHOUT a default schema.

    performance_schema strips comments from DIGEST_TEXT, so the ``/* dbxray */`` marker cannot
    hide our own statements from the digests. Instead the session never selects a database:
    everything dbxray runs is recorded with ``SCHEMA_NAME`` NULL, and the collectors report only
    digests whose ``SCHEMA_NAME`` is the target database (kept in ``@dbxray_db``). Statements
    that name user tables must therefore be qualified: ``qualify()`` does it.
    """

    engine = "mysql"

    def query(self, sql, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql if sql.lstrip().startswith(QUERY_MARKER) else f"{QUERY_MARKER} {sql}", params)
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], list(cur.fetchall())

    @contextlib.contextmanager
    def rolled_back(self, read_write: bool = False) -> Iterator[MySQLSession]:
        """A transaction that is always rolled back (``ANALYZE`` of a data-changing statement)."""
        with self.conn.cursor() as cur:
            cur.execute("START TRANSACTION READ WRITE" if read_write else "START TRANSACTION READ ONLY")
        try:
            yield self
        finally:
            with contextlib.suppress(Exception):
                self.conn.rollback()

    def qualify(self, sql: str, database: str | None = None) -> str:
        """``sql`` with every unqualified table name prefixed by the target database (sqlglot)."""
        import sqlglot
        from sqlglot import exp

        db = database or self.database
        if not db:
            return sql
        tree = sqlglot.parse_one(sql, read="mysql")
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if not table.args.get("db") and table.name and table.name not in ctes:
                table.set("db", exp.to_identifier(db, quoted=True))
        return tree.sql(dialect="mysql")


def open_session(target: Target, limits: Limits) -> MySQLSession:
    import pymysql

    params = dict(target.params)
    params["database"] = None  # no default schema: see MySQLSession
    try:
        conn = pymysql.connect(
            **params,
            connect_timeout=limits.connect_timeout,
            read_timeout=max(int(limits.statement_timeout) + 5, 10),
            write_timeout=max(int(limits.statement_timeout) + 5, 10),
            charset="utf8mb4",
            autocommit=True,
            program_name=APPLICATION_NAME,
        )
    except pymysql.err.OperationalError as exc:
        raise ConnectionFailed(_mysql_connect_message(target, exc)) from None
    except pymysql.err.MySQLError as exc:
        raise ConnectionFailed(f"cannot connect to {target.display()}: "
                               f"{one_line(str(exc), target.password)}") from None
    except Exception as exc:  # e.g. a bad parameter value
        raise BadInput(f"cannot connect to {target.display()}: {one_line(str(exc), target.password)}") from None
    session = MySQLSession(target, conn, limits)
    try:
        _prepare_mysql_session(session, limits)
    except DbxrayError:
        session.close()
        raise
    except pymysql.err.MySQLError as exc:
        session.close()
        raise ConnectionFailed(f"cannot prepare a session on {target.display()}: "
                               f"{one_line(str(exc), target.password)}") from None
    return session


def _prepare_mysql_session(session: MySQLSession, limits: Limits) -> None:
    """Flavour and version from ``SELECT VERSION()`` (the handshake says 5.5.5-... on MariaDB 10),
    then the session bounds, then the target database check."""
    target = session.target
    version = str(session.scalar("SELECT VERSION()"))
    session.server_version = version.split("-")[0]
    session.is_mariadb = "mariadb" in version.lower()
    major, minor, patch = ([int(x) for x in re.findall(r"\d+", session.server_version)[:3]] + [0, 0, 0])[:3]
    session.version_num = major * 10000 + minor * 100 + patch
    stmts = ["SET SESSION TRANSACTION READ ONLY",
             f"SET SESSION lock_wait_timeout = {max(1, int(limits.lock_timeout))}",
             "SET SESSION group_concat_max_len = 1048576"]
    if session.is_mariadb:
        stmts.append(f"SET SESSION max_statement_time = {limits.statement_timeout:.3f}")
    else:
        stmts.append(f"SET SESSION max_execution_time = {int(limits.statement_timeout * 1000)}")
        if session.version_num >= 80000:
            # MySQL 8 caches TABLE_ROWS / AUTO_INCREMENT in information_schema for a day by default
            stmts.append("SET SESSION information_schema_stats_expiry = 0")
    for stmt in stmts:
        session.query(stmt)
    # the collectors quote identifiers with backticks and write regexes with backslashes
    modes = [m for m in str(session.scalar("SELECT @@SESSION.sql_mode") or "").split(",")
             if m and m not in ("ANSI_QUOTES", "NO_BACKSLASH_ESCAPES", "ANSI")]
    session.query("SET SESSION sql_mode = %s", (",".join(modes),))
    session.query("SET @dbxray_db = %s", (target.database or None,))
    if target.database:
        found = session.scalar("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                               (target.database,))
        if not found:
            raise ConnectionFailed(_mysql_missing_database(session))


def _mysql_missing_database(session: MySQLSession) -> str:
    """A database we cannot see either does not exist or is hidden for lack of privileges: say which."""
    target = session.target
    where = target.display()
    global_privs = {str(r[0]).upper() for r in session.query(
        "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES")[1]}
    if global_privs & {"SELECT", "SHOW DATABASES", "ALL PRIVILEGES"}:
        return f"database {target.database!r} does not exist on {where}"
    return (f"user {target.user!r} has no access to database {target.database!r} on {where} "
            "(or it does not exist): grant SELECT on it, and PROCESS plus SELECT on performance_schema")


def _mysql_connect_message(target: Target, exc: Exception) -> str:
    code = exc.args[0] if exc.args else None
    where = target.display()
    if code == 1045:
        return f"authentication failed for user {target.user!r} on {where}"
    if code == 1049:
        return f"database {target.database!r} does not exist on {where}"
    if code == 1044:
        return f"user {target.user!r} has no access to database {target.database!r} on {where}"
    if code in (2003, 2002, 2013):
        return f"cannot reach {where}: {one_line(str(exc.args[-1]), target.password)}"
    return f"cannot connect to {where}: {one_line(str(exc), target.password)}"


