"""Which database a run is about: a key that is stable across runs and never holds a secret.

``target_key`` = engine, host, port and database (never the user or the password), plus the
optional name a fleet gives the target, so two runners watching the same server under two
names keep separate histories. ``target_label`` is what listings show and ``--target`` matches.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = re.compile(r"^(?P<engine>[a-z]+)://(?P<host>.*?)(?::(?P<port>\d+))?/(?P<database>[^#]*)(?:#(?P<name>.*))?$")


def target_key(engine: str, host: str, port: int | None, database: str, name: str | None = None) -> str:
    """``postgres://db1:5432/shop`` or, for a named fleet target, ``postgres://db1:5432/shop#eu-prod``."""
    where = f"{(host or 'localhost').lower()}:{port}" if port else (host or "localhost").lower()
    key = f"{engine}://{where}/{database}"
    return f"{key}#{name}" if name else key


def target_label(host: str, port: int | None, database: str, name: str | None = None) -> str:
    return name or f"{host or 'localhost'}{f':{port}' if port else ''}/{database}"


def snapshot_target(snap: Any, port: int | None = None, name: str | None = None) -> tuple[str, str]:
    """(key, label) of a snapshot; the port comes from the DSN (or ``snap.meta['port']``)."""
    port = port or snap.meta.get("port")
    port = int(port) if port else None
    return (target_key(snap.engine, snap.host, port, snap.database, name),
            target_label(snap.host, port, snap.database, name))


def parse_key(key: str) -> dict[str, str | None] | None:
    """engine, host, port, database and name of a key made by ``target_key`` (None otherwise)."""
    m = _KEY.match(key)
    return m.groupdict() if m else None


def legacy_key(key: str) -> str:
    """The same key without the port: how runs saved before ports were recorded are keyed."""
    parts = parse_key(key)
    if not parts or not parts["port"]:
        return key
    return target_key(parts["engine"], parts["host"], None, parts["database"], parts["name"])
