"""Engine-neutral views of a snapshot, for the checks whose logic is the same on every engine.

An engine's ``frames()`` returns an object with these methods. The *views* return rows with the
columns documented here, whatever the engine calls them in its catalogs; a view an engine cannot
provide returns an empty result, and the shared checks that read it simply find nothing. The
*wording* methods say a finding in the engine's own terms (its cancel command, its names for a
session or a sequence); their defaults here are plain and engine-neutral, so a new engine needs
only the views to get working findings.

The shared checks keep the logic (which rows, which thresholds, which severity); the frames keep
what differs: where the numbers come from, and the words and SQL users see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dbxray.units import human_bytes, human_seconds


@dataclass
class Text:
    """What a finding says: the engine's words around the shared check's verdict."""

    title: str
    recommendation: str
    object: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    sql: str | None = None

    def finding(self, check: str, severity: str) -> Any:
        from dbxray.findings import Finding

        return Finding(check=check, severity=severity, title=self.title, object=self.object,
                       evidence=self.evidence, recommendation=self.recommendation, sql=self.sql)


@dataclass
class Connections:
    """Connection use: ``used`` of ``limit`` (the limit clients can reach), and the engine's own
    figures behind them (``raw``, for its evidence)."""

    used: float
    limit: float
    raw: dict[str, Any] = field(default_factory=dict)


def frames_of(snap: Any) -> Any:
    """The snapshot's engine's views."""
    from dbxray import engine

    return engine.of(snap).frames()


class NoFrames:
    """The views of an engine that provides none (the shared checks then stay silent)."""

    # -- statements: slow_query, n_plus_one ---------------------------------------------------------
    def statements(self, snap: Any) -> tuple[Any, str | None]:
        """(statements ranked by total time as ``report.summary.statements`` shapes them, source name).

        Columns: ``queryid``, ``query``, ``calls``, ``total_ms``, ``mean_ms``, ``max_ms``,
        ``share_pct``, ``rows``, ``rows_per_call``; engines add their own (``schema``, ``role``…).
        """
        import pandas as pd

        return pd.DataFrame(), None

    def statement_object(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"query_id": row.get("queryid")}

    def statement_evidence(self, row: dict[str, Any], source: str | None) -> dict[str, Any]:
        """The engine's own figures a slow statement carries besides the shared ones."""
        return {"source": source} if source else {}

    def explain_hint(self, row: dict[str, Any]) -> str:
        return "Read its plan to see where the time goes"

    def single_row_lookup(self, snap: Any, row: dict[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        """(table, equality columns) when the statement fetches one row of one table by key."""
        return None

    def n_plus_one_text(self, row: dict[str, Any], facts: dict[str, Any]) -> Text:
        """``facts``: ``calls``, ``share_pct``, ``table``, ``columns``, ``parent`` (the statement that
        returned about one row per lookup, or None), ``source``."""
        calls, table = int(facts["calls"]), facts["table"]
        return Text(
            title=f"N+1 pattern: {calls:,} single-row lookups of {table}",
            object={**self.statement_object(row), "table": table, "columns": list(facts["columns"])},
            evidence={"calls": calls, "share_of_calls_pct": round(facts["share_pct"], 1),
                      "rows_per_call": row.get("rows_per_call"), "query": row.get("query")},
            recommendation="Load these rows in one statement (a key list or a join) instead of one round trip "
                           "per row.")

    # -- sessions: long_running_query, connection_saturation ----------------------------------------
    session_noun = "session"

    def sessions(self, snap: Any) -> list[dict[str, Any]]:
        """Client sessions other than dbxray's: ``pid``, ``user``, ``database``, ``state`` (``active``
        while it runs a statement, else the engine's word), ``query``, ``query_s`` (how long the
        current statement has run), and ``raw`` (the engine's own row, for its wording)."""
        return []

    def cancel_sql(self, pid: int) -> str | None:
        """The SQL that stops a session's current statement."""
        return None

    def terminate_sql(self, pid: int) -> str | None:
        """The SQL that ends a session (its transaction rolls back)."""
        return None

    def long_query_evidence(self, session: dict[str, Any]) -> dict[str, Any]:
        return {}

    def long_query_advice(self, snap: Any) -> str:
        return "If it should not run this long, cancel it and set a statement time limit; then explain it."

    def connections(self, snap: Any) -> Connections | None:
        return None

    def connection_evidence(self, snap: Any, use: Connections) -> dict[str, Any]:
        """The figures a saturation finding carries (asked only when there is one)."""
        return {"connections": use.used, "limit": use.limit}

    connection_noun = "connections"
    connection_advice = "Pool connections and shrink application pools; raise the limit only with memory to spare."

    def connection_limit_sql(self, limit: float) -> str | None:
        """The fix SQL that raises the connection limit, where it can be changed without a restart."""
        return None

    # -- lock waits: lock_contention ------------------------------------------------------------------
    def lock_waits(self, snap: Any) -> list[dict[str, Any]]:
        """Who waits on whom, one row per (waiter, blocker): ``waiting_pid``, ``blocking_pid``,
        ``wait_s``, and ``detail`` (the waiter as the finding lists it, with ``pid`` and
        ``waiting_s``)."""
        return []

    def blocker_text(self, snap: Any, root: int, waits: list[dict[str, Any]], longest: float) -> Text:
        """A root blocker (a blocker that does not itself wait) and the first ``lock_waits`` row of
        each session waiting behind it."""
        blocked = [w["detail"] for w in waits]
        return Text(title=f"{self.session_noun} {root} blocks {len(blocked)} session(s), longest wait "
                          f"{human_seconds(longest)}",
                    object={"pid": root}, evidence={"blocked": blocked, "longest_wait_s": round(longest, 1)},
                    recommendation="End the root blocker's transaction (commit, roll back, or terminate it).",
                    sql=self.terminate_sql(root))

    def lock_queue(self, snap: Any) -> list[dict[str, Any]]:
        """Sessions queued on a lock the wait views do not show (MySQL's metadata locks): rows with
        ``pid`` and ``wait_s``. Empty when the engine's lock views show every wait."""
        return []

    def lock_queue_text(self, snap: Any, waiting: list[dict[str, Any]], longest: float) -> Text:
        return Text(title=f"{len(waiting)} session(s) wait in a lock queue, longest {human_seconds(longest)}",
                    evidence={"waiting": [{"pid": w["pid"], "waiting_s": w["wait_s"]} for w in waiting]},
                    recommendation="End the oldest open transaction on the table the queue waits for.")

    # -- index usage: unused_index ---------------------------------------------------------------------
    def stats_age(self, snap: Any) -> float | None:
        """Seconds the index-usage statistics have been counting (None: unknown)."""
        return None

    def unused_indexes(self, snap: Any) -> Iterable[dict[str, Any]]:
        """Indexes with no recorded use since the statistics began (the engine decides what counts:
        scans, reads, I/O; indexes of tables nothing read are left out, there is no evidence either
        way): ``schema``, ``table``, ``index``, ``size_bytes`` (None: unknown), ``enforces`` (primary
        key, unique or other constraint: never reported as droppable), and ``raw`` (the engine's
        row, for its wording)."""
        return []

    def index_foreign_keys(self, snap: Any, ix: dict[str, Any]) -> list[str]:
        """Foreign keys that need this index (asked only of the indexes about to be reported)."""
        return []

    def unused_index_text(self, snap: Any, ix: dict[str, Any], fks: list[str], age_s: float | None,
                          young: bool) -> Text:
        size = ix.get("size_bytes")
        return Text(title=f"Index {ix['index']} on {ix['table']} has never been used"
                          + (f" ({human_bytes(size)})" if size else ""),
                    object={k: ix[k] for k in ("schema", "table", "index")},
                    evidence={"scans": 0, "stats_age": human_seconds(age_s), "size_bytes": size},
                    recommendation="Confirm it is unused on every replica and by periodic jobs, then drop it.")

    # -- sequences: sequence_exhaustion ---------------------------------------------------------------
    def sequences(self, snap: Any) -> Iterable[dict[str, Any]]:
        """Generated keys and how much of their range is used: ``used_pct``, and ``raw`` (the engine's
        row: a sequence, an AUTO_INCREMENT column; the plain wording below reads its ``schema``,
        ``sequence``, ``table`` and ``column``)."""
        return []

    def sequence_text(self, snap: Any, seq: dict[str, Any], pct: float) -> Text:
        r = seq["raw"]
        return Text(title=f"{r.get('sequence') or r.get('column')} has used {pct:.1f}% of its range",
                    object={"schema": r.get("schema"), "sequence": r.get("sequence"), "table": r.get("table"),
                            "columns": [r["column"]] if r.get("column") else None},
                    evidence={"used_pct": round(pct, 2)},
                    recommendation="Widen the key (and every column that references it) before it runs out.")
