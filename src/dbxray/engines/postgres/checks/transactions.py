"""Transactions left open by the application: ``idle_in_transaction`` for PostgreSQL.

The rule (thresholds, severities, the finding's shape) is the one both engines share
(``dbxray.checks.idle_transaction``); this module reads what pg_locks and pg_stat_activity say
an idle transaction holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.idle_transaction import THRESHOLDS, IdleTransaction, judge
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import as_list, records
from dbxray.findings import Finding


def _qualified(name: str) -> str:
    """``orders`` (regclass text of a table on the search_path) -> ``public.orders``."""
    return name if "." in name else f"public.{name}"


@check("idle_in_transaction", "activity", engines=ENGINES, **THRESHOLDS)
def idle_in_transaction(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Sessions idle inside an open transaction; sooner when they hold locks or the xmin horizon.

    Why: in OLTP a transaction idle for 90 s while it holds row locks is an application bug:
    every session that needs those rows waits, and DDL on its tables queues everything behind
    it. One that wrote or locked rows (it has a transaction id), holds a snapshot that pins the
    xmin horizon (vacuum can remove no dead row newer than it, in any table), holds locks beyond
    plain reads, or that others wait on (``pg_blocking_pids``), is reported from ``locks_warn_s``
    (60 s); one that holds nothing from ``warn_s`` (5 min); critical from ``critical_s`` or when
    anyone waits. The evidence names the tables it holds locks on (pg_locks) and the waiting pids.
    Fix: terminate it, then set ``idle_in_transaction_session_timeout`` for the role.
    """
    rows = records(snap["idle_transactions"])
    if not rows and not snap.has("idle_transactions"):
        # an older snapshot without the collector: judge from pg_stat_activity alone
        rows = [{"pid": r["pid"], "role": r.get("role"), "database": r.get("database"),
                 "idle_s": r.get("state_age_s"), "xact_age_s": r.get("xact_age_s"), "xmin_age": r.get("xmin_age"),
                 "last_query": r.get("query"), "state": r.get("state"),
                 "application_name": r.get("application_name"), "client_addr": r.get("client_addr")}
                for r in records(snap["activity"])
                if r.get("backend_type") == "client backend"
                and str(r.get("state") or "").startswith("idle in transaction")]
    for r in rows:
        if r.get("idle_s") is None:
            continue
        pid = int(r["pid"])
        role = r.get("role")
        locked = [_qualified(str(x)) for x in as_list(r.get("locked_relations"))]
        s = IdleTransaction(
            pid=pid, user=role, database=r.get("database"), idle_s=float(r["idle_s"]),
            xact_age_s=None if r.get("xact_age_s") is None else float(r["xact_age_s"]),
            row_locks=r.get("xid") is not None,
            holds_horizon=r.get("xmin_age") is not None or r.get("xid") is not None,
            locked_tables=locked, waiting_pids=sorted(int(p) for p in as_list(r.get("waiting_pids"))),
            last_query=r.get("last_query"),
            extra={"state": r.get("state"), "application": r.get("application_name"), "client": r.get("client_addr"),
                   "xid": r.get("xid"), "xmin_age": r.get("xmin_age"),
                   "read_tables": [_qualified(str(x)) for x in as_list(r.get("read_relations"))] or None})
        timeout = None
        if role:
            from dbxray.engines.postgres.quoting import pg_ident

            timeout = f"ALTER ROLE {pg_ident(role)} SET idle_in_transaction_session_timeout = '1min';"
        finding = judge(s, t, "pid", f"SELECT pg_terminate_backend({pid});", timeout,
                        "pg_stat_activity + pg_locks")
        if finding is not None:
            yield finding


__all__ = ["idle_in_transaction"]
