"""DSN -> safe session. The only module that opens database connections.

Every session is read-only, bounded by statement and lock timeouts, labelled
``application_name=dbxray`` so the tool can leave its own load out of what it reports,
and never lets a password reach an error message, a log line or a report.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from dbxray.errors import BadInput, DbxrayError

APPLICATION_NAME = "dbxray"
QUERY_MARKER = "/* dbxray */"
# a DSN without a scheme is libpq's (key=value pairs, PGHOST and friends, ~/.pgpass)
DEFAULT_ENGINE = "postgres"


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
        from dbxray import engine

        scheme = engine.get(self.engine).schemes[0]
        port = f":{self.port}" if self.port else ""
        user = f"{self.user}@" if self.user else ""
        return f"{scheme}://{user}{self.host}{port}/{self.database}"


def dsn_passwords(dsn: str) -> list[str]:
    """The password of a DSN however malformed (spaces, '@' or '/' in it, bad escapes), as written and
    percent-decoded: what an error message quoting the DSN must not show."""
    from urllib.parse import unquote

    found = []
    if "://" in dsn:
        rest = dsn.split("://", 1)[1]
        if "@" in rest:
            userinfo = rest.rsplit("@", 1)[0]
            if ":" in userinfo:
                found.append(userinfo.split(":", 1)[1])
    for m in re.finditer(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", dsn, flags=re.IGNORECASE):
        value = m.group(1)
        found.append(value[1:-1] if value.startswith("'") and value.endswith("'") and len(value) > 1 else value)
    out = []
    for pw in found:
        for variant in (pw, unquote(pw)):
            if variant and variant not in out:
                out.append(variant)
    return out


def redact(text: str, *secrets: str | None) -> str:
    """Remove passwords from any text: URL userinfo, key=value pairs and known secrets (a secret that is a
    whole DSN stands for its password, however malformed the DSN)."""
    expanded: list[str] = []
    for secret in secrets:
        if not secret:
            continue
        if "://" in secret or "password" in secret.lower():
            expanded.extend(dsn_passwords(secret))
        expanded.append(secret)
    for secret in sorted(set(expanded), key=len, reverse=True):
        text = text.replace(secret, "***")
    text = re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    text = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)
    return text


def resolve_dsn(dsn: str | None) -> str:
    """The DSN given, else ``DATABASE_URL``, else "" (libpq environment: PGHOST, ~/.pgpass...)."""
    if dsn:
        return dsn.strip()
    return os.environ.get("DATABASE_URL", "").strip()


def parse_target(dsn: str | None) -> Target:
    """Turn a DSN into a Target; malformed input is a BadInput with one clear line."""
    from dbxray import engine

    dsn = resolve_dsn(dsn)
    scheme = dsn.split("://", 1)[0].lower() if "://" in dsn else ""
    found = engine.for_scheme(scheme) if scheme else engine.get(DEFAULT_ENGINE)
    if found is None:
        known = ", ".join(f"{s}://" for s in engine.all_schemes())
        raise BadInput(f"unsupported DSN scheme {scheme!r}: use {known}")
    return found.parse_dsn(dsn)


def one_line(message: str, *secrets: str | None) -> str:
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

    def query_batches(self, sql: str, params: Sequence[Any] | dict | None = None,
                      size: int = 5000) -> Iterator[tuple[list[str], list[tuple]]]:
        """Run one statement; yield (column names, rows) a batch at a time, at least once (an empty
        result yields its columns and no rows). An engine whose driver can convert rows lazily keeps
        only ``size`` of them as Python objects at once; this default converts them all."""
        yield self.query(sql, params)

    def rows(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[dict[str, Any]]:
        cols, rows = self.query(sql, params)
        return [dict(zip(cols, r)) for r in rows]

    def scalar(self, sql: str, params: Sequence[Any] | dict | None = None) -> Any:
        _, rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def lost(self) -> bool:
        """Whether the connection is gone (session terminated, server restarted or down): nothing more
        can run on it, so the collection stops instead of failing once per collector."""
        conn = self.conn
        if getattr(conn, "closed", False) or getattr(conn, "broken", False):  # psycopg
            return True
        is_open = getattr(conn, "open", None)  # PyMySQL
        return is_open is False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(dsn: str | None = None, limits: Limits | None = None) -> Session:
    """Open a safe session for the DSN's engine, or raise a one-line DbxrayError."""
    limits = limits or Limits()
    from dbxray import engine

    target = parse_target(dsn)
    return engine.get(target.engine).open(target, limits)



__all__ = [
    "APPLICATION_NAME",
    "QUERY_MARKER",
    "DbxrayError",
    "Limits",
    "Session",
    "Target",
    "connect",
    "one_line",
    "parse_target",
    "redact",
]
