"""PostgreSQL sessions: libpq DSNs, a read-only connection bounded by timeouts, the query API."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from dbxray.connect import APPLICATION_NAME, QUERY_MARKER, Limits, Session, Target, one_line
from dbxray.errors import BadInput, ConnectionFailed


def parse_dsn(dsn: str) -> Target:
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except Exception as exc:  # psycopg raises ProgrammingError with libpq's message
        raise BadInput(f"malformed PostgreSQL DSN: {one_line(str(exc), dsn)}") from None
    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    port = params.get("port") or os.environ.get("PGPORT")
    user = params.get("user") or os.environ.get("PGUSER") or ""
    database = params.get("dbname") or os.environ.get("PGDATABASE") or user
    try:
        port_num = int(port) if port else None
    except ValueError:
        raise BadInput(f"malformed PostgreSQL DSN: port {port!r} is not a number") from None
    return Target("postgres", params, host=host, port=port_num, database=database, user=user)


class PostgresSession(Session):
    engine = "postgres"

    def query(self, sql, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql if sql.lstrip().startswith(QUERY_MARKER) else f"{QUERY_MARKER} {sql}", params)
            if cur.description is None:
                return [], []
            return [d.name for d in cur.description], cur.fetchall()

    def query_batches(self, sql, params=None, size=5000):
        """libpq holds the whole result as compact text; psycopg turns ``size`` rows at a time into
        Python objects, so a 60,000-row catalog read never exists as 60,000 tuples of new objects."""
        with self.conn.cursor() as cur:
            cur.execute(sql if sql.lstrip().startswith(QUERY_MARKER) else f"{QUERY_MARKER} {sql}", params)
            if cur.description is None:
                yield [], []
                return
            cols = [d.name for d in cur.description]
            batch = cur.fetchmany(size)
            yield cols, batch
            while len(batch) == size:
                batch = cur.fetchmany(size)
                if batch:
                    yield cols, batch

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


def _pg_options(existing: str | None, limits: Limits) -> str:
    ours = (
        "-c default_transaction_read_only=on"
        f" -c statement_timeout={int(limits.statement_timeout * 1000)}"
        f" -c lock_timeout={int(limits.lock_timeout * 1000)}"
        " -c idle_in_transaction_session_timeout=60000"
    )
    return f"{existing} {ours}" if existing else ours


def open_session(target: Target, limits: Limits) -> PostgresSession:
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
        raise BadInput(f"cannot connect to {target.display()}: {one_line(str(exc), target.password)}") from None
    session = PostgresSession(target, conn, limits)
    session.version_num = conn.info.server_version
    session.server_version = str(session.scalar("SHOW server_version")).split(" ")[0]
    session.database = conn.info.dbname
    target.host = target.host or conn.info.host
    return session


def _pg_connect_message(target: Target, exc: Exception, elapsed: float) -> str:
    msg = one_line(str(exc), target.password)
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


