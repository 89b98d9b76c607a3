"""SQLite sessions: ``sqlite:///path/to/file.db`` opened read-only (``mode=ro``), the query API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dbxray.connect import Limits, Session, Target
from dbxray.errors import BadInput, ConnectionFailed


def parse_dsn(dsn: str) -> Target:
    path = dsn.split("://", 1)[1]
    if not path.startswith("/") or path == "/":
        raise BadInput("malformed SQLite DSN: use sqlite:///absolute/path/to/file.db")
    return Target("sqlite", {"path": path}, host="localhost", database=Path(path).stem)


class SqliteSession(Session):
    engine = "sqlite"

    def query(self, sql, params=None):
        cur = self.conn.execute(sql, params or ())
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()


def open_session(target: Target, limits: Limits) -> SqliteSession:
    path = target.params["path"]
    if not Path(path).is_file():
        raise ConnectionFailed(f"cannot open {target.display()}: no such file")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=limits.lock_timeout)
    session = SqliteSession(target, conn, limits)
    session.server_version = sqlite3.sqlite_version
    major, minor, patch = (int(x) for x in sqlite3.sqlite_version.split("."))
    session.version_num = major * 1000000 + minor * 1000 + patch
    return session
