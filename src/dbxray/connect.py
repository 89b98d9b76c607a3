"""DSN -> safe session. The only module that opens database connections.

Every session is read-only, bounded by statement and lock timeouts, labelled
``application_name=dbxray`` so the tool can leave its own load out of what it reports,
and never lets a password reach an error message, a log line or a report.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from dbxray.errors import BadInput, ConnectionFailed, DbxrayError

APPLICATION_NAME = "dbxray"
QUERY_MARKER = "/* dbxray */"


@dataclass
class Limits:
    """Time bounds applied to every session (seconds)."""

    connect_timeout: int = 5
    statement_timeout: float = 30.0
    lock_timeout: float = 1.0


@dataclass
class Target:
    """What we connect to, parsed from a DSN, with everything but the password displayable."""

    engine: str  # "postgres" or "mysql"
    params: dict[str, Any] = field(repr=False)
    host: str = ""
    port: int | None = None
    database: str = ""
    user: str = ""

    @property
    def password(self) -> str | None:
        return self.params.get("password")

    def display(self) -> str:
        """The DSN as it may be shown: no password, ever."""
        scheme = "postgresql" if self.engine == "postgres" else "mysql"
        port = f":{self.port}" if self.port else ""
        user = f"{self.user}@" if self.user else ""
        return f"{scheme}://{user}{self.host}{port}/{self.database}"


def redact(text: str, *secrets: str | None) -> str:
    """Remove passwords from any text: URL userinfo, key=value pairs and known secrets."""
    text = re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    text = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)
    for secret in secrets:
        if secret and len(secret) >= 1:
            text = text.replace(secret, "***")
    return text


def resolve_dsn(dsn: str | None) -> str:
    """The DSN given, else ``DATABASE_URL``, else "" (libpq environment: PGHOST, ~/.pgpass...)."""
    if dsn:
        return dsn.strip()
    return os.environ.get("DATABASE_URL", "").strip()


def parse_target(dsn: str | None) -> Target:
    """Turn a DSN into a Target; malformed input is a BadInput with one clear line."""
    dsn = resolve_dsn(dsn)
    scheme = dsn.split("://", 1)[0].lower() if "://" in dsn else ""
    if scheme in ("mysql", "mariadb", "mysql+pymysql"):
        return _parse_mysql(dsn)
    if scheme and scheme not in ("postgres", "postgresql"):
        raise BadInput(f"unsupported DSN scheme {scheme!r}: use postgresql://, mysql:// or mariadb://")
    return _parse_postgres(dsn)


def _parse_postgres(dsn: str) -> Target:
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except Exception as exc:  # psycopg raises ProgrammingError with libpq's message
        raise BadInput(f"malformed PostgreSQL DSN: {_one_line(str(exc), dsn)}") from None
    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    port = params.get("port") or os.environ.get("PGPORT")
    user = params.get("user") or os.environ.get("PGUSER") or ""
    database = params.get("dbname") or os.environ.get("PGDATABASE") or user
    try:
        port_num = int(port) if port else None
    except ValueError:
        raise BadInput(f"malformed PostgreSQL DSN: port {port!r} is not a number") from None
    return Target("postgres", params, host=host, port=port_num, database=database, user=user)


def _parse_mysql(dsn: str) -> Target:
    try:
        url = urlsplit(dsn)
        port = url.port
    except ValueError as exc:
        raise BadInput(f"malformed MySQL DSN: {_one_line(str(exc), dsn)}") from None
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


def _one_line(message: str, *secrets: str | None) -> str:
    return redact(" ".join(message.split()), *secrets)


class Session:
    """An open, read-only, time-bounded connection with a tiny uniform query API."""

    engine: str = ""

    def __init__(self, target: Target, conn: Any, limits: Limits):
        self.target = target
        self.conn = conn
        self.limits = limits
        self.server_version = ""
        self.version_num = 0
        self.is_mariadb = False
        self.database = target.database

    # -- querying --------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | dict | None = None) -> tuple[list[str], list[tuple]]:
        """Run one statement; return (column names, rows)."""
        raise NotImplementedError

    def rows(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[dict[str, Any]]:
        cols, rows = self.query(sql, params)
        return [dict(zip(cols, r)) for r in rows]

    def scalar(self, sql: str, params: Sequence[Any] | dict | None = None) -> Any:
        _, rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PostgresSession(Session):
    engine = "postgres"

    def query(self, sql, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql if sql.lstrip().startswith(QUERY_MARKER) else f"{QUERY_MARKER} {sql}", params)
            if cur.description is None:
                return [], []
            return [d.name for d in cur.description], cur.fetchall()

    @contextlib.contextmanager
    def rolled_back(self, read_write: bool = False) -> Iterator[PostgresSession]:
        """A transaction that is always rolled back, whatever happens inside it.

        ``read_write`` lifts the session's read-only default for this transaction only:
        it is how ``EXPLAIN ANALYZE`` of a data-changing statement and ``--verify`` run
        without leaving anything behind.
        """
        self.query("BEGIN READ WRITE" if read_write else "BEGIN READ ONLY")
        try:
            yield self
        finally:
            with contextlib.suppress(Exception):
                self.query("ROLLBACK")

    def set_local(self, name: str, value: str) -> None:
        """``SET LOCAL`` through set_config, so values are bound, never spliced."""
        self.query("SELECT set_config(%s, %s, true)", (name, value))


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


def connect(dsn: str | None = None, limits: Limits | None = None) -> Session:
    """Open a safe session for the DSN's engine, or raise a one-line DbxrayError."""
    limits = limits or Limits()
    target = parse_target(dsn)
    if target.engine == "postgres":
        return _connect_postgres(target, limits)
    return _connect_mysql(target, limits)


def _pg_options(existing: str | None, limits: Limits) -> str:
    ours = (
        "-c default_transaction_read_only=on"
        f" -c statement_timeout={int(limits.statement_timeout * 1000)}"
        f" -c lock_timeout={int(limits.lock_timeout * 1000)}"
        " -c idle_in_transaction_session_timeout=60000"
    )
    return f"{existing} {ours}" if existing else ours


def _connect_postgres(target: Target, limits: Limits) -> PostgresSession:
    import psycopg

    params = dict(target.params)
    params["options"] = _pg_options(params.get("options"), limits)
    params["application_name"] = APPLICATION_NAME
    params.setdefault("connect_timeout", str(limits.connect_timeout))
    started = time.monotonic()
    try:
        conn = psycopg.connect(**params, autocommit=True)
    except psycopg.Error as exc:
        raise ConnectionFailed(_pg_connect_message(target, exc, time.monotonic() - started)) from None
    except Exception as exc:  # e.g. a bad parameter value
        raise BadInput(f"cannot connect to {target.display()}: {_one_line(str(exc), target.password)}") from None
    session = PostgresSession(target, conn, limits)
    session.version_num = conn.info.server_version
    session.server_version = str(session.scalar("SHOW server_version")).split(" ")[0]
    session.database = conn.info.dbname
    target.host = target.host or conn.info.host
    return session


def _pg_connect_message(target: Target, exc: Exception, elapsed: float) -> str:
    msg = _one_line(str(exc), target.password)
    low = msg.lower()
    where = target.display()
    if "password authentication failed" in low or "no password supplied" in low:
        return f"authentication failed for user {target.user!r} on {where} (check the password or ~/.pgpass)"
    if "does not exist" in low and "database" in low:
        return f"database {target.database!r} does not exist on {where}"
    if "timeout expired" in low:
        return f"cannot reach {where}: no answer within {int(elapsed)} s (connect_timeout)"
    if "connection refused" in low:
        return f"cannot reach {where}: connection refused (is the server running and listening there?)"
    if "could not translate host name" in low:
        return f"cannot resolve host {target.host!r} in {where}"
    return f"cannot connect to {where}: {msg}"


def _connect_mysql(target: Target, limits: Limits) -> MySQLSession:
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
                               f"{_one_line(str(exc), target.password)}") from None
    except Exception as exc:  # e.g. a bad parameter value
        raise BadInput(f"cannot connect to {target.display()}: {_one_line(str(exc), target.password)}") from None
    session = MySQLSession(target, conn, limits)
    try:
        _prepare_mysql_session(session, limits)
    except DbxrayError:
        session.close()
        raise
    except pymysql.err.MySQLError as exc:
        session.close()
        raise ConnectionFailed(f"cannot prepare a session on {target.display()}: "
                               f"{_one_line(str(exc), target.password)}") from None
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
        return f"cannot reach {where}: {_one_line(str(exc.args[-1]), target.password)}"
    return f"cannot connect to {where}: {_one_line(str(exc), target.password)}"


__all__ = [
    "APPLICATION_NAME",
    "QUERY_MARKER",
    "DbxrayError",
    "Limits",
    "MySQLSession",
    "PostgresSession",
    "Session",
    "Target",
    "connect",
    "parse_target",
    "redact",
]
