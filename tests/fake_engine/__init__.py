"""A whole engine in a few files, over sqlite3: the worked example of ``docs/architecture.md``.

It proves the Engine protocol is enough: an engine is a package with an ``ENGINE`` (this file),
a folder of collector SQL (``collectors/``), its frames for the shared checks (``frames.py``) and
its own check bundle (``checks.py``). SQLite keeps no statement statistics, so the test database
holds them in a table (``dbxray_statements``) the way pg_stat_statements would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbxray.engine import BaseEngine


class SqliteEngine(BaseEngine):
    name = "sqlite"
    label = "SQLite (test engine)"
    schemes = ("sqlite",)
    check_modules = ("tests.fake_engine.checks",)

    def parse_dsn(self, dsn: str) -> Any:
        from tests.fake_engine.session import parse_dsn

        return parse_dsn(dsn)

    def open(self, target: Any, limits: Any) -> Any:
        from tests.fake_engine.session import open_session

        return open_session(target, limits)

    def format_version(self, num: int) -> str:
        return f"{num // 1000000}.{num // 1000 % 1000}.{num % 1000}"

    def collectors_path(self) -> Path:
        return Path(__file__).parent / "collectors"

    def frames(self) -> Any:
        from tests.fake_engine.frames import SqliteFrames

        return SqliteFrames()

    def missing_statements(self, detail: str) -> str:
        return f"no dbxray_statements table{detail}: statement checks were skipped"


ENGINE = SqliteEngine()
