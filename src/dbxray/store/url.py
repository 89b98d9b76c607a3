"""Which backend a ``--history`` value names, following the SQLAlchemy URL convention.

    DIR, ./runs, /var/lib/dbxray      a directory (what ``--history DIR`` always took)
    sqlite:///relative/path.db        an SQLite file relative to the working directory
    sqlite:////absolute/path.db       an SQLite file at an absolute path
    postgresql://user@host/db         a PostgreSQL database (also postgres://, postgresql+psycopg://)

An existing SQLite file given as a plain path is taken as an SQLite store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dbxray.connect import redact
from dbxray.errors import BadInput

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Location:
    kind: str  # "directory" | "sqlite" | "postgres"
    where: str  # a path, or the PostgreSQL URL (with its password: never print it, print ``display``)

    @property
    def display(self) -> str:
        return redact(self.where)


def parse_store_url(value: str | Path) -> Location:
    text = str(value).strip()
    if not text:
        raise BadInput("--history needs a directory, sqlite:///path.db or postgresql://… URL")
    scheme = text.split("://", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) else ""
    if scheme in ("sqlite", "sqlite+pysqlite"):
        path = text.split("://", 1)[1]
        if path in ("", "/") or path.startswith("/:memory:"):
            raise BadInput(f"history store {text!r} has no file: an in-memory store would forget every run "
                           "(write sqlite:///relative.db or sqlite:////absolute/path.db)")
        return Location("sqlite", path[1:].split("?", 1)[0])  # drop the third slash, keep the fourth
    if scheme in ("postgres", "postgresql") or scheme.startswith(("postgresql+", "postgres+")):
        return Location("postgres", "postgresql://" + text.split("://", 1)[1])
    if scheme == "file":
        return Location("directory", text.split("://", 1)[1])
    if scheme:
        raise BadInput(f"unsupported history store {redact(text)!r}: use a directory, sqlite:///path.db or "
                       "postgresql://…")
    path = Path(text).expanduser()
    if path.is_file() and _is_sqlite(path):
        return Location("sqlite", str(path))
    return Location("directory", str(path))


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == SQLITE_MAGIC
    except OSError:
        return False
