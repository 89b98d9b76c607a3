"""Activity checks every engine shares: long statements, lock queues, connection limits, over the
sessions and lock-wait views (``checks.frames``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.frames import frames_of
from dbxray.checks.helpers import human_seconds, short_query
from dbxray.findings import Finding


@check("long_running_query", "activity", warn_s=60.0, critical_s=1800.0)
def long_running_query(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements running for ``warn_s`` seconds or more (PgHero's 60 s).

    Why: a long statement holds its locks and its snapshot (MVCC read view) for its whole
    life: DDL queues behind it (and everything behind the DDL), and vacuum / InnoDB purge
    cannot remove old row versions anywhere while it runs.
    Fix: cancel it if it is not meant to run that long, then find out why it is slow;
    a statement time limit on the application's role or account stops the next one.
    """
    frames = frames_of(snap)
    for s in frames.sessions(snap):
        age = s.get("query_s")
        if s.get("state") != "active" or age is None or age < t["warn_s"]:
            continue
        pid = int(s["pid"])
        yield Finding(
            check="long_running_query",
            severity="critical" if age >= t["critical_s"] else "warning",
            title=f"Query running for {human_seconds(age)} ({frames.session_noun} {pid}, {s.get('user')})",
            object={"pid": pid, "role": s.get("user"), "database": s.get("database")},
            evidence={"query_age_s": round(age, 1), **frames.long_query_evidence(s),
                      "query": short_query(s.get("query"), 400)},
            recommendation=frames.long_query_advice(snap),
            sql=frames.cancel_sql(pid),
        )


def root_blockers(blocked: dict[int, set[int]]) -> dict[int, set[int]]:
    """{root blocker: every session waiting behind it, directly or through a chain}.

    A root blocker waits for nobody; in a cycle (a deadlock not yet broken) the session
    where the walk comes back is taken as the root, and a session never blocks itself."""
    def roots_of(pid: int, seen: frozenset) -> set[int]:
        parents = blocked.get(pid)
        if not parents:
            return {pid}
        out: set[int] = set()
        for p in parents:
            out |= {p} if p in seen else roots_of(p, seen | {pid})
        return out

    tree: dict[int, set[int]] = {}
    for pid in blocked:
        for root in roots_of(pid, frozenset()):
            if root != pid:
                tree.setdefault(root, set()).add(pid)
    return tree


def _severity(waiting: int, longest: float, t: dict[str, Any]) -> str:
    return "critical" if waiting >= t["critical_blocked"] or longest >= t["critical_wait_s"] else "warning"


@check("lock_contention", "activity", min_wait_s=5.0, critical_wait_s=300.0, critical_blocked=3)
def lock_contention(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Sessions waiting on locks held by others: who blocks whom, on what, for how long.

    Why: a blocked session does nothing while it waits, and queues form behind it (a DDL
    waiting for a lock blocks every later reader of the table). One finding per root
    blocker (a blocker not itself blocked), listing everything waiting behind it; on MySQL
    and MariaDB also one for sessions queued on a table metadata lock (the holder is the
    oldest open transaction). Critical when ``critical_blocked`` sessions wait or one waits
    ``critical_wait_s``.
    Fix: end the root blocker's transaction (commit, roll back, or terminate / KILL it).
    """
    frames = frames_of(snap)
    blocked: dict[int, set[int]] = {}
    first_wait: dict[int, dict[str, Any]] = {}
    for w in frames.lock_waits(snap):
        waiter, blocker = int(w["waiting_pid"]), int(w["blocking_pid"])
        blocked.setdefault(waiter, set()).add(blocker)
        first_wait.setdefault(waiter, w)
    for root, victims in sorted(root_blockers(blocked).items()):
        waits = [first_wait[pid] for pid in sorted(victims)]
        longest = max((w["wait_s"] or 0.0 for w in waits), default=0.0)
        if longest < t["min_wait_s"]:
            continue
        yield frames.blocker_text(snap, root, waits, longest).finding(
            "lock_contention", _severity(len(victims), longest, t))
    queued = [s for s in frames.lock_queue(snap) if s["wait_s"] >= t["min_wait_s"]]
    if queued:
        longest = max(s["wait_s"] for s in queued)
        yield frames.lock_queue_text(snap, queued, longest).finding(
            "lock_contention", _severity(len(queued), longest, t))


@check("connection_saturation", "activity", warn_pct=80.0, critical_pct=95.0)
def connection_saturation(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Client connections close to the server's connection limit.

    Why: when the limit is reached new connections are refused and the application fails
    (PostgreSQL keeps ``superuser_reserved_connections``, MySQL one extra connection, for an
    administrator); long before that, hundreds of mostly idle sessions waste memory and CPU.
    Fix: pool connections (PgBouncer, ProxySQL / MaxScale, or the application's pool) and
    shrink application pools; raise the limit only with the pooler in place and memory to spare.
    """
    frames = frames_of(snap)
    use = frames.connections(snap)
    if use is None:
        return
    pct = 100.0 * use.used / max(use.limit, 1)
    if pct < t["warn_pct"]:
        return
    yield Finding(
        check="connection_saturation",
        severity="critical" if pct >= t["critical_pct"] else "warning",
        title=f"{int(use.used)} of {int(use.limit)} {frames.connection_noun} in use ({pct:.0f}%)",
        object={"setting": "max_connections"},
        evidence=frames.connection_evidence(snap, use),
        recommendation=frames.connection_advice,
        sql=frames.connection_limit_sql(use.limit),
    )
