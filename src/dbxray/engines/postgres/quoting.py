"""PostgreSQL identifier quoting for generated SQL, done by psycopg's own tools.

Plain lower-case names stay bare (``public.orders``) so the fix reads like a DBA wrote it;
anything else (``"Order Items"``, ``"it""s"``, keywords, upper case) is quoted by psycopg.
"""

from __future__ import annotations

import re
from functools import cache

_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")


@cache
def _pg_keywords() -> frozenset[str]:
    from pglast import keywords

    return frozenset(keywords.RESERVED_KEYWORDS | keywords.TYPE_FUNC_NAME_KEYWORDS | keywords.COL_NAME_KEYWORDS)


def pg_ident(*parts: str) -> str:
    """A (possibly qualified) PostgreSQL identifier: ``pg_ident("public", "Order Items")``."""
    from psycopg import sql

    out = []
    for part in parts:
        if part is None or part == "":
            continue
        if _PLAIN.match(part) and part not in _pg_keywords():
            out.append(part)
        else:
            out.append(sql.Identifier(part).as_string(None))
    return ".".join(out)


def pg_literal(value: object) -> str:
    from psycopg import sql

    return sql.Literal(value).as_string(None)
