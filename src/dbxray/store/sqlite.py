"""The embedded store: one SQLite file (``sqlite:////abs/path.db``), for one machine.

WAL mode so a listing never waits for a writer, ``busy_timeout`` so concurrent runners queue
instead of failing, and every write in a ``BEGIN IMMEDIATE`` transaction: a run is either
wholly saved or not at all, whatever happens to the process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from dbxray import __version__
from dbxray.store.base import RunInfo, Store, counts_of, int_id, iso_utc, parse_utc, summary_json, utc
from dbxray.store.errors import StoreReadOnly, StoreUnavailable
from dbxray.store.schema import SCHEMA_VERSION, SQLITE_MIGRATIONS, SQLITE_VERSION_TABLE, refuse_newer

BUSY_TIMEOUT_S = 30.0
_COLUMNS = "id, target_key, target_label, collected_at, critical, warning, info, dbxray_version, summary"


class SqliteStore(Store):
    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        self.display = f"sqlite:///{self.path}"
        self.readonly = readonly
        self.conn = self._open()
        try:
            self._check_schema()
        except BaseException:
            self.close()
            raise

    # -- opening ------------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self.readonly:
            if not self.path.is_file():
                raise StoreUnavailable(f"no history store at {self.display} (no such file)")
            return self._open_readonly()
        if self.path.is_dir():
            raise StoreUnavailable(f"history store {self.display} is a directory: give a file name, e.g. "
                                   f"sqlite:///{self.path / 'dbxray.db'}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreReadOnly(f"cannot create {self.path.parent} for history store {self.display}: "
                                f"{exc.strerror}") from None
        if self.path.exists() and not os.access(self.path, os.R_OK | os.W_OK):
            raise StoreReadOnly(f"history store {self.display} is read-only for this user: runs cannot be saved there")
        with self._errors("write to"):
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            _wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode, much faster
        return conn

    def _open_readonly(self) -> sqlite3.Connection:
        """Read-only listing. A WAL database in a directory we cannot write has no ``-shm`` to
        share, so fall back to ``immutable=1`` (sees only checkpointed runs: fine for reading)."""
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        last: Exception | None = None
        for extra in ("", "&immutable=1"):
            try:
                conn = sqlite3.connect(uri + extra, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
                conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.DatabaseError as exc:
                last = exc
        raise self._translate(last, "open")  # type: ignore[arg-type]

    def _check_schema(self) -> None:
        """Refuse a newer store, create or migrate an older one (under the write lock)."""
        with self._errors("read the schema version of"):
            version = self._version()
        refuse_newer(version, self.display)
        if version == SCHEMA_VERSION:
            return
        if self.readonly:
            raise StoreUnavailable(f"{self.display} is not a dbxray history store (or an older one: open it "
                                   "once with 'dbxray report --history' to upgrade it)")
        with self._write("create the schema of"):
            version = self._version()  # another runner may have migrated while we waited
            refuse_newer(version, self.display)
            if version == 0 and self._foreign_tables():
                raise StoreUnavailable(f"{self.display} is an SQLite database but not a dbxray history store: "
                                       "give a new file name")
            self.conn.execute(SQLITE_VERSION_TABLE)
            for number, steps in enumerate(SQLITE_MIGRATIONS[version:], start=version + 1):
                for sql in steps:
                    self.conn.execute(sql)
                self.conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                                  (number, iso_utc(dt.datetime.now(dt.UTC)), __version__))

    def _version(self) -> int:
        has = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
        if not has.fetchone():
            return 0
        return int(self.conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])

    def _foreign_tables(self) -> bool:
        return bool(self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                      "AND name NOT LIKE 'sqlite_%'").fetchone())

    # -- writing ------------------------------------------------------------------------------------
    def save_run(self, target_key, target_label, collected_at, snapshot_bytes, report_summary=None) -> str:
        self._refuse_if_readonly()
        counts = counts_of(report_summary)
        with self._write("save a run to"):
            cur = self.conn.execute(
                "INSERT INTO runs (target_key, target_label, collected_at, saved_at, dbxray_version, "
                "critical, warning, info, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (target_key, target_label, iso_utc(collected_at), iso_utc(dt.datetime.now(dt.UTC)), __version__,
                 counts["critical"], counts["warning"], counts["info"], summary_json(report_summary)))
            run_id = cur.lastrowid
            self.conn.execute("INSERT INTO snapshots (run_id, data) VALUES (?, ?)", (run_id, bytes(snapshot_bytes)))
        return str(run_id)

    def _prune(self, cutoff: dt.datetime) -> int:
        self._refuse_if_readonly()
        with self._write("prune"):
            ids = "SELECT id FROM runs WHERE collected_at < ?"
            self.conn.execute(f"DELETE FROM snapshots WHERE run_id IN ({ids})", (iso_utc(cutoff),))
            return self.conn.execute("DELETE FROM runs WHERE collected_at < ?", (iso_utc(cutoff),)).rowcount

    # -- reading ------------------------------------------------------------------------------------
    def runs(self, target=None, limit=None) -> list[RunInfo]:
        sql, params = f"SELECT {_COLUMNS} FROM runs", []
        if target:
            sql += " WHERE target_key = ? OR target_label = ?"
            params += [target, target]
        sql += " ORDER BY collected_at DESC, id DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._errors("list the runs of"):
            return [_info(row) for row in self.conn.execute(sql, params)]

    def run(self, run_id: str) -> RunInfo:
        with self._errors("read"):
            row = self.conn.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (int_id(run_id),)).fetchone()
        if row is None:
            raise self._not_found(run_id, self.display)
        return _info(row)

    def _snapshot_bytes(self, run_id: str) -> bytes:
        with self._errors("read"):
            row = self.conn.execute("SELECT data FROM snapshots WHERE run_id = ?", (int_id(run_id),)).fetchone()
        if row is None:
            raise self._not_found(run_id, self.display)
        return bytes(row[0])

    def _previous(self, target_key: str, before: dt.datetime) -> RunInfo | None:
        with self._errors("read"):
            row = self.conn.execute(
                f"SELECT {_COLUMNS} FROM runs WHERE target_key = ? AND collected_at < ? "
                "ORDER BY collected_at DESC, id DESC LIMIT 1", (target_key, iso_utc(before))).fetchone()
        return _info(row) if row else None

    def close(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass
            self.conn = None

    # -- errors and transactions --------------------------------------------------------------------
    def _refuse_if_readonly(self) -> None:
        if self.readonly:
            raise StoreReadOnly(f"history store {self.display} was opened read-only")

    def _write(self, action: str):
        return _Transaction(self, action)

    def _errors(self, action: str):
        return _Translate(self, action)

    def _translate(self, exc: sqlite3.Error, action: str) -> Exception:
        reason = " ".join(str(exc).split())
        low = reason.lower()
        if "readonly" in low or "read-only" in low or "unable to open" in low or "permission" in low:
            return StoreReadOnly(f"history store {self.display} is read-only ({reason}): cannot {action} it")
        if "not a database" in low or "malformed" in low:
            return StoreUnavailable(f"history store {self.display} is not a readable SQLite database ({reason})")
        if "locked" in low or "busy" in low:
            return StoreUnavailable(f"history store {self.display} is locked by another writer "
                                    f"(waited up to {BUSY_TIMEOUT_S:g} s): cannot {action} it")
        return StoreUnavailable(f"cannot {action} history store {self.display}: {reason}")


class _Translate:
    """sqlite3 errors become one-line store errors."""

    def __init__(self, store: SqliteStore, action: str):
        self.store, self.action = store, action

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, sqlite3.Error):
            raise self.store._translate(exc, self.action) from None
        return False


class _Transaction(_Translate):
    """``BEGIN IMMEDIATE`` … ``COMMIT``: takes the write lock up front (waiting up to the busy
    timeout) so two runners never deadlock upgrading a read lock; rolled back on any error."""

    def __enter__(self) -> None:
        try:
            self.store.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self.store._translate(exc, self.action) from None

    def __exit__(self, kind, exc, tb) -> bool:
        conn = self.store.conn
        if exc is None:
            try:
                conn.execute("COMMIT")
                return False
            except sqlite3.Error as err:
                exc = err
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        return super().__exit__(kind, exc, tb)


def _info(row: tuple) -> RunInfo:
    run_id, key, label, collected_at, critical, warning, info, version, summary = row
    return RunInfo(id=str(run_id), target_key=key, target_label=label, collected_at=utc(parse_utc(collected_at)),
                   counts={"critical": critical, "warning": warning, "info": info}, dbxray_version=version,
                   summary=json.loads(summary or "{}"))


def _wal(conn: sqlite3.Connection) -> None:
    """Switch a new store to WAL (persistent: only the first opener pays). The switch needs the
    database to itself and SQLite does not call the busy handler for it, so runners creating the
    same store at once retry here for the busy timeout instead of failing on the first try."""
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
