"""Index advisor: candidates from the real workload, proven with hypothetical indexes (HypoPG).

``advise_postgres(session, snap, extra_queries)`` returns ``missing_index`` findings;
``prove_index(session, schema, table, columns, statements)`` proves one given index (the
``missing_fk_index`` check uses it, with ``statements_using`` to pick the statements that show
the foreign key at work). Nothing heavy is imported here, so the CLI stays fast.
"""

from __future__ import annotations

from typing import Any


def advise_postgres(session: Any, snap: Any, extra_queries: Any = (), verify: bool = False,
                    config: Any = None) -> list:
    """``missing_index`` findings for a PostgreSQL session (see :mod:`dbxray.engines.postgres.advisor.advise`)."""
    from dbxray.engines.postgres.advisor.advise import advise_postgres as _advise

    return _advise(session, snap, extra_queries=extra_queries, verify=verify, config=config)


def prove_index(session: Any, schema: str, table: str, columns: Any, statements: Any) -> dict:
    """Proof (or the reason there is none) that an index on ``columns`` helps ``statements``."""
    from dbxray.engines.postgres.advisor.proof import prove_index as _prove

    return _prove(session, schema, table, columns, statements)


def statements_using(session: Any, snap: Any, schema: str, table: str, columns: Any, limit: int = 5) -> list:
    """The heaviest statements that filter or join ``schema.table`` on ``columns[0]`` (for prove_index)."""
    from dbxray.engines.postgres.advisor.proof import statements_using as _using

    return _using(session, snap, schema, table, columns, limit)


__all__ = ["advise_postgres", "prove_index", "statements_using"]
