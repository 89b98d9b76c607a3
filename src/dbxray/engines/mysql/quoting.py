"""MySQL / MariaDB identifier quoting for generated SQL: always backticks, doubled inside."""

from __future__ import annotations


def mysql_ident(*parts: str) -> str:
    """A (possibly qualified) MySQL identifier, always in backticks: ```shop`.`order items```."""
    return ".".join("`" + str(p).replace("`", "``") + "`" for p in parts if p)
