"""The one ``idle_in_transaction`` rule both engines apply (no check registered here).

A session idle inside an open transaction is judged by what it holds. One that holds row locks
(or, on PostgreSQL, holds back the xmin horizon) or that other sessions wait on is an
application bug hurting others right now: it is reported from ``locks_warn_s`` (60 s). One that
holds nothing is reported from ``warn_s`` (5 min). Each engine's check reads its own catalogs
into :class:`IdleTransaction` and hands it to :func:`judge`, so the thresholds, the severities
and the finding's shape (title, object, evidence keys) are the same on every engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbxray.findings import Finding
from dbxray.units import human_seconds

THRESHOLDS = {"warn_s": 300.0, "locks_warn_s": 60.0, "critical_s": 1800.0}


@dataclass
class IdleTransaction:
    """What one engine knows about one session idle in its transaction."""

    pid: int
    user: str | None
    database: str | None
    idle_s: float  # since its last statement ended
    xact_age_s: float | None  # since the transaction began
    row_locks: bool  # it wrote or locked rows (MySQL: trx_rows_locked/trx_tables_locked; PG: an xid)
    holds_horizon: bool = False  # PostgreSQL: its snapshot (backend_xmin) or xid holds vacuum back
    locked_tables: list[str] = field(default_factory=list)  # schema.table it holds locks on
    waiting_pids: list[int] = field(default_factory=list)  # sessions waiting on its locks
    last_query: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # the engine's own figures

    @property
    def holds_locks(self) -> bool:
        return self.row_locks or self.holds_horizon or bool(self.waiting_pids) or bool(self.locked_tables)


def judge(s: IdleTransaction, t: dict[str, Any], pid_word: str, kill_sql: str, timeout_sql: str | None,
          source: str) -> Finding | None:
    """The finding for one idle transaction, or None when it is below its threshold."""
    # holding locks never waits longer than holding nothing (a config that lowers warn_s lowers both)
    threshold = min(t["locks_warn_s"], t["warn_s"]) if s.holds_locks else t["warn_s"]
    if s.idle_s < threshold:
        return None
    critical = s.idle_s >= t["critical_s"] or bool(s.waiting_pids)
    held = []
    if s.locked_tables:
        held.append(f"locks on {', '.join(s.locked_tables[:3])}" + (" …" if len(s.locked_tables) > 3 else ""))
    elif s.row_locks:
        held.append("row locks")
    if s.holds_horizon:
        held.append("the xmin horizon")
    title = f"Session idle in transaction for {human_seconds(s.idle_s)}"
    if held:
        title += " holding " + " and ".join(held)
    if s.waiting_pids:
        title += f", {len(s.waiting_pids)} session(s) waiting"
    title += f" ({pid_word} {s.pid}, {s.user})"
    table = s.locked_tables[0] if s.locked_tables else None
    schema, _, name = table.rpartition(".") if table else (None, None, None)
    why = ("It holds locks other sessions need" + (f": {len(s.waiting_pids)} wait on it now" if s.waiting_pids
                                                    else "")
           + "; an application that leaves a transaction open between requests is a bug. "
           if s.holds_locks else
           "It holds no locks, but keeps its snapshot open and will block DDL on what it read. ")
    return Finding(
        check="idle_in_transaction",
        severity="critical" if critical else "warning",
        title=title,
        object={"pid": s.pid, "role": s.user, "database": s.database, "schema": schema or None,
                "table": name or None},
        evidence={"idle_s": round(s.idle_s, 1), "xact_age_s": None if s.xact_age_s is None else round(s.xact_age_s, 1),
                  "holds_locks": s.holds_locks, "row_locks": s.row_locks, "holds_xmin_horizon": s.holds_horizon,
                  "locked_tables": s.locked_tables, "waiting_pids": s.waiting_pids,
                  "threshold_s": threshold,
                  "threshold": "locks_warn_s" if s.holds_locks else "warn_s",
                  "last_query": (s.last_query or "")[:300] or None, **s.extra, "source": source},
        recommendation=(why + "End it (its transaction rolls back), then make the application commit or roll back "
                        "before it waits on anything else; a server-side idle-transaction timeout ends the next one."),
        sql=kill_sql + (f"\n{timeout_sql}" if timeout_sql else ""),
    )


__all__ = ["THRESHOLDS", "IdleTransaction", "judge"]
