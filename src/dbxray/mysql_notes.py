"""What a MySQL/MariaDB collection could not see (performance_schema off, missing PROCESS, ...)."""

from __future__ import annotations

from typing import Any


def mysql_notes(snap: Any) -> list[str]:
    return []
