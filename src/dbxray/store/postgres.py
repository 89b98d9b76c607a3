"""The central store: a PostgreSQL database (``postgresql://…``) that a fleet of runners writes to.

Everything lives in the ``dbxray`` schema. Unlike dbxray's diagnostic sessions this connection
writes, so it is opened here with psycopg directly, bounded by ``connect_timeout``,
``statement_timeout`` and ``lock_timeout``. Schema creation and migrations run under a
transaction-scoped advisory lock, so runners starting at the same moment do not collide.
Messages never carry the URL's password.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json

from dbxray import __version__
from dbxray.connect import redact
from dbxray.errors import BadInput
from dbxray.store.base import RunInfo, Store, counts_of, int_id, summary_json, utc
from dbxray.store.errors import StoreReadOnly, StoreUnavailable
from dbxray.store.schema import POSTGRES_MIGRATIONS, POSTGRES_VERSION_TABLE, SCHEMA_VERSION, refuse_newer

MIGRATION_LOCK = 0x64627872_79737472  # "dbxrystr": one advisory lock id for every dbxray store
_COLUMNS = "id, target_key, target_label, collected_at, critical, warning, info, dbxray_version, summary"


class PostgresStore(Store):
    def __init__(self, url: str, readonly: bool = False, connect_timeout: int = 5, statement_timeout: float = 60.0):
        self.url = url
        self.display = redact(url)
        self.readonly = readonly
        self.conn = self._connect(connect_timeout, statement_timeout)
        try:
            self._check_schema()
        except BaseException:
            self.close()
            raise

    # -- opening ------------------------------------------------------------------------------------
    def _connect(self, connect_timeout: int, statement_timeout: float):
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        try:
            params = conninfo_to_dict(self.url)
        except psycopg.Error as exc:
            raise BadInput(f"malformed history store URL {self.display}: {self._one_line(exc)}") from None
        self.password = params.get("password")
        options = (f"-c statement_timeout={int(statement_timeout * 1000)} -c lock_timeout=30000"
                   " -c idle_in_transaction_session_timeout=60000")
        if self.readonly:
            options += " -c default_transaction_read_only=on"
        params["options"] = f"{params['options']} {options}" if params.get("options") else options
        params.setdefault("connect_timeout", str(connect_timeout))
        params["application_name"] = "dbxray-store"
        try:
            return psycopg.connect(**params, autocommit=True)
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot reach history store {self.display}: {self._reason(exc)}") from None

    def _check_schema(self) -> None:
        version = self._version()
        refuse_newer(version, self.display)
        if version < SCHEMA_VERSION:
            if self.readonly:
                raise StoreUnavailable(f"no dbxray history store in {self.display} (or an older one: open it "
                                       "once with 'dbxray report --history' to create or upgrade it)")
            self._migrate()
        if not self.readonly:
            self._check_writable()

    def _version(self) -> int:
        with self._errors("read the schema version of"):
            if self.conn.execute("SELECT to_regclass('dbxray.schema_version')").fetchone()[0] is None:
                return 0
            return int(self.conn.execute("SELECT coalesce(max(version), 0) FROM dbxray.schema_version")
                       .fetchone()[0])

    def _migrate(self) -> None:
        """Under the advisory lock: re-read the version (another runner may have just migrated)."""
        with self._errors("create the schema of"), self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            self.conn.execute("CREATE SCHEMA IF NOT EXISTS dbxray")
            self.conn.execute(POSTGRES_VERSION_TABLE)
            version = int(self.conn.execute("SELECT coalesce(max(version), 0) FROM dbxray.schema_version")
                          .fetchone()[0])
            refuse_newer(version, self.display)
            for number, steps in enumerate(POSTGRES_MIGRATIONS[version:], start=version + 1):
                for sql in steps:
                    self.conn.execute(sql)
                self.conn.execute("INSERT INTO dbxray.schema_version (version, dbxray_version) VALUES (%s, %s)",
                                  (number, __version__))

    def _check_writable(self) -> None:
        """Fail at open, before a long collection, when saving would fail (standby, grants)."""
        with self._errors("check"):
            read_only, can_insert = self.conn.execute(
                "SELECT current_setting('transaction_read_only') = 'on', "
                "has_table_privilege('dbxray.runs', 'INSERT') AND has_table_privilege('dbxray.snapshots', "
                "'INSERT')").fetchone()
        if read_only:
            raise StoreReadOnly(f"history store {self.display} is read-only (a standby or a read-only "
                                "default): runs cannot be saved there")
        if not can_insert:
            user = self.conn.info.user
            raise StoreReadOnly(f"history store {self.display}: user {user!r} may not insert into dbxray.runs "
                                "and dbxray.snapshots (GRANT INSERT on them, and DELETE for --keep-days)")

    # -- writing ------------------------------------------------------------------------------------
    def save_run(self, target_key, target_label, collected_at, snapshot_bytes, report_summary=None) -> str:
        counts = counts_of(report_summary)
        with self._errors("save a run to"), self.conn.transaction():
            run_id = self.conn.execute(
                "INSERT INTO dbxray.runs (target_key, target_label, collected_at, dbxray_version, critical, "
                "warning, info, summary) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb) RETURNING id",
                (target_key, target_label, utc(collected_at), __version__, counts["critical"], counts["warning"],
                 counts["info"], summary_json(report_summary))).fetchone()[0]
            self.conn.execute("INSERT INTO dbxray.snapshots (run_id, data) VALUES (%s, %s)",
                              (run_id, bytes(snapshot_bytes)))
        return str(run_id)

    def _prune(self, cutoff: dt.datetime) -> int:
        with self._errors("prune"), self.conn.transaction():
            return self.conn.execute("DELETE FROM dbxray.runs WHERE collected_at < %s", (cutoff,)).rowcount

    # -- reading ------------------------------------------------------------------------------------
    def runs(self, target=None, limit=None) -> list[RunInfo]:
        sql, params = f"SELECT {_COLUMNS} FROM dbxray.runs", []
        if target:
            sql += " WHERE target_key = %s OR target_label = %s"
            params += [target, target]
        sql += " ORDER BY collected_at DESC, id DESC"
        if limit:
            sql += " LIMIT %s"
            params.append(int(limit))
        with self._errors("list the runs of"):
            return [_info(row) for row in self.conn.execute(sql, params).fetchall()]

    def run(self, run_id: str) -> RunInfo:
        with self._errors("read"):
            row = self.conn.execute(f"SELECT {_COLUMNS} FROM dbxray.runs WHERE id = %s",
                                    (int_id(run_id),)).fetchone()
        if row is None:
            raise self._not_found(run_id, self.display)
        return _info(row)

    def _snapshot_bytes(self, run_id: str) -> bytes:
        with self._errors("read"):
            row = self.conn.execute("SELECT data FROM dbxray.snapshots WHERE run_id = %s",
                                    (int_id(run_id),)).fetchone()
        if row is None:
            raise self._not_found(run_id, self.display)
        return bytes(row[0])

    def _previous(self, target_key: str, before: dt.datetime) -> RunInfo | None:
        with self._errors("read"):
            row = self.conn.execute(
                f"SELECT {_COLUMNS} FROM dbxray.runs WHERE target_key = %s AND collected_at < %s "
                "ORDER BY collected_at DESC, id DESC LIMIT 1", (target_key, before)).fetchone()
        return _info(row) if row else None

    def close(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
            self.conn = None

    # -- errors -------------------------------------------------------------------------------------
    def _one_line(self, exc: Exception) -> str:
        return redact(" ".join(str(exc).split()), getattr(self, "password", None))

    def _reason(self, exc: Exception) -> str:
        text = self._one_line(exc)
        low = text.lower()
        if "connection refused" in low:
            return "connection refused (is the server running and listening there?)"
        if "timeout expired" in low:
            return "no answer within connect_timeout"
        if "password authentication failed" in low:
            return "authentication failed (check the password or ~/.pgpass)"
        return text

    @contextlib.contextmanager
    def _errors(self, action: str):
        """psycopg errors become one-line store errors; the transaction around them is rolled back."""
        import psycopg
        from psycopg import errors as pgerr

        try:
            yield
        except (pgerr.ReadOnlySqlTransaction, pgerr.InsufficientPrivilege) as exc:
            raise StoreReadOnly(f"cannot {action} history store {self.display}: {self._one_line(exc)}") from None
        except pgerr.QueryCanceled:
            raise StoreUnavailable(f"history store {self.display} did not answer in time: cannot {action} it "
                                   "(statement or lock timeout)") from None
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"lost history store {self.display}: cannot {action} it: "
                                   f"{self._reason(exc)}") from None
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot {action} history store {self.display}: {self._one_line(exc)}") from None


def _info(row: tuple) -> RunInfo:
    run_id, key, label, collected_at, critical, warning, info, version, summary = row
    if isinstance(summary, str):
        summary = json.loads(summary)
    return RunInfo(id=str(run_id), target_key=key, target_label=label, collected_at=utc(collected_at),
                   counts={"critical": critical, "warning": warning, "info": info}, dbxray_version=version,
                   summary=summary or {})
