"""One entry point for making SQL text safe to show or send: literals out, comments out.

``normalize_sql(text, engine)`` asks the engine (``Engine.normalize_sql``): PostgreSQL replaces
constants with ``$n`` using libpg_query's own scanner (pglast), MySQL/MariaDB with ``?`` using
sqlglot's tokenizer. A scanner, not a parser, so the same function serves whole statements,
statements cut short (``pg_stat_activity`` keeps 1 kB, reports keep less) and plan expressions
(``Filter``, ``Index Cond``). Text that cannot be scanned is withheld, never passed through.

Never rely on the server's own normalization: ``pg_stat_statements`` keeps the literals of a
statement that finished after a reset and of utility statements (``ALTER ROLE … PASSWORD``) on
PostgreSQL 15 and older, and the live text of other sessions is never normalized.
"""

from __future__ import annotations

WITHHELD = "<withheld: not parsable>"
CUT = " …"  # appended where text was cut at an unterminated literal or comment


def normalize_sql(text: object, engine: str) -> str:
    """``text`` with every literal replaced by a placeholder and comments removed, on one line."""
    from dbxray import engine as registry

    if text is None:
        return ""
    return registry.get(engine).normalize_sql(str(text))
