"""Engine-neutral views of a snapshot, for the checks whose logic is the same on every engine.

An engine's ``frames()`` returns an object with these methods; each returns rows with the
columns documented here (a DataFrame or a list of dicts), whatever the engine calls them in its
catalogs. A view an engine cannot provide returns an empty result, and the shared checks that
read it simply find nothing.
"""

from __future__ import annotations

from typing import Any


class NoFrames:
    """The views of an engine that provides none (the shared checks then stay silent)."""

    def statements(self, snap: Any) -> tuple[Any, str | None]:
        """(statements ranked by total time as ``report.summary.statements`` shapes them, source name).

        Columns: ``queryid``, ``query``, ``calls``, ``total_ms``, ``mean_ms``, ``max_ms``,
        ``share_pct``, ``rows``, ``rows_per_call``; engines add their own (``schema``, ``role``…).
        """
        import pandas as pd

        return pd.DataFrame(), None

    def statement_evidence(self, row: dict[str, Any]) -> dict[str, Any]:
        """The engine's own figures a statement finding carries besides the shared ones."""
        return {}

    def statement_object(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"query_id": row.get("queryid")}

    def explain_hint(self, row: dict[str, Any]) -> str:
        return "Read its plan to see where the time goes"

    def single_row_lookup(self, snap: Any, row: dict[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        """(table, equality columns) when the statement fetches one row of one table by key."""
        return None

    def sessions(self, snap: Any) -> list[dict[str, Any]]:
        """Other sessions: ``pid``, ``user``, ``database``, ``state`` (``active``, ``idle``,
        ``idle in transaction``), ``query``, ``query_s`` (how long the current statement has run),
        ``xact_s`` (how long the transaction has been open), ``state_s``, ``wait``, ``client``."""
        return []

    def lock_waits(self, snap: Any) -> list[dict[str, Any]]:
        """Who waits on whom: ``waiting_pid``, ``blocking_pid``, ``wait_s``, ``object`` (``schema``,
        ``table``), ``lock`` (mode / type), ``waiting_query``, ``blocking_query``, ``blocking_state``."""
        return []

    def connections(self, snap: Any) -> dict[str, Any]:
        """``used``, ``limit``, ``reserved`` (superuser slots), ``by_state`` counts."""
        return {}
