"""The SQL stores' schema, as numbered migrations dbxray applies itself.

Version N means steps 1..N have run; each applied step is a row of ``schema_version``. Add a
new step at the end of *both* lists (never edit a released one). A store whose version is
higher than ``len(...)`` was written by a newer dbxray and is refused, untouched.
"""

from __future__ import annotations

from dbxray import __version__
from dbxray.store.errors import StoreTooNew

SQLITE_MIGRATIONS: list[list[str]] = [
    [  # 1: runs with their listing facts, snapshots apart so listings never page through blobs
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            target_key TEXT NOT NULL,
            target_label TEXT NOT NULL,
            collected_at TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            dbxray_version TEXT NOT NULL,
            critical INTEGER NOT NULL DEFAULT 0,
            warning INTEGER NOT NULL DEFAULT 0,
            info INTEGER NOT NULL DEFAULT 0,
            summary TEXT NOT NULL DEFAULT '{}'
        )""",
        """CREATE TABLE snapshots (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            data BLOB NOT NULL
        )""",
        "CREATE INDEX runs_target_time ON runs (target_key, collected_at)",
        "CREATE INDEX runs_label ON runs (target_label)",
        "CREATE INDEX runs_time ON runs (collected_at)",
    ],
]

PG_SCHEMA = "dbxray"

POSTGRES_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE dbxray.runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            target_key text NOT NULL,
            target_label text NOT NULL,
            collected_at timestamptz NOT NULL,
            saved_at timestamptz NOT NULL DEFAULT now(),
            dbxray_version text NOT NULL,
            critical integer NOT NULL DEFAULT 0,
            warning integer NOT NULL DEFAULT 0,
            info integer NOT NULL DEFAULT 0,
            summary jsonb NOT NULL DEFAULT '{}'
        )""",
        """CREATE TABLE dbxray.snapshots (
            run_id bigint PRIMARY KEY REFERENCES dbxray.runs(id) ON DELETE CASCADE,
            data bytea NOT NULL
        )""",
        # already gzip: spare the server a pointless pglz attempt
        "ALTER TABLE dbxray.snapshots ALTER COLUMN data SET STORAGE EXTERNAL",
        "CREATE INDEX runs_target_time ON dbxray.runs (target_key, collected_at)",
        "CREATE INDEX runs_label ON dbxray.runs (target_label)",
        "CREATE INDEX runs_time ON dbxray.runs (collected_at)",
    ],
]

assert len(SQLITE_MIGRATIONS) == len(POSTGRES_MIGRATIONS), "both SQL stores share one version number"
SCHEMA_VERSION = len(SQLITE_MIGRATIONS)

SQLITE_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, dbxray_version TEXT NOT NULL)"""
POSTGRES_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS dbxray.schema_version (
    version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), dbxray_version text NOT NULL)"""


def refuse_newer(found: int, where: str) -> None:
    """One line, before anything is written, when the store is ahead of this dbxray."""
    if found > SCHEMA_VERSION:
        raise StoreTooNew(f"history store {where} has schema version {found}, newer than this dbxray "
                          f"({__version__}) knows ({SCHEMA_VERSION}): upgrade dbxray to use it")
