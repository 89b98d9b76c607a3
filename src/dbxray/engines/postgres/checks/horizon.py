"""The xmin horizon: who keeps vacuum from removing dead rows, named."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import human_seconds, records
from dbxray.engines.postgres.quoting import pg_literal
from dbxray.findings import Finding

FIX = {
    "session": ("End the transaction: the application must commit or roll back (or terminate the session). "
                "Set idle_in_transaction_session_timeout for its role so it cannot happen again."),
    "prepared_transaction": ("A prepared (two-phase) transaction was never committed or rolled back: its "
                             "coordinator is gone or stuck. Resolve it with COMMIT PREPARED / ROLLBACK PREPARED "
                             "once you know which outcome is right."),
    "replication_slot": ("A replication slot keeps every row version its consumer might still need. Drop the slot "
                         "if its consumer is gone; otherwise make the consumer catch up."),
    "standby": ("A standby with hot_standby_feedback holds the primary's horizon back for its own long queries: "
                "end those queries, or set max_standby_streaming_delay instead of feedback."),
}


def _fix_sql(kind: str, r: dict[str, Any]) -> str | None:
    if kind == "session" and r.get("pid") is not None:
        return (f"SELECT pg_terminate_backend({int(r['pid'])});  -- rolls its transaction back; "
                "its locks and its snapshot are released")
    if kind == "prepared_transaction":
        gid = pg_literal(str(r["holder"]))
        return f"ROLLBACK PREPARED {gid};  -- or COMMIT PREPARED {gid}, if that is the right outcome"
    if kind == "replication_slot":
        return (f"SELECT pg_drop_replication_slot({pg_literal(str(r['holder']))});  -- only if its consumer is "
                "gone for good: it cannot be recreated at the same position")
    return None


@check("xmin_horizon", "maintenance", engines=ENGINES, warn_s=300.0, warn_xids=1_000_000,
       critical_s=3600.0, critical_xids=100_000_000)
def xmin_horizon(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """What holds back the xmin horizon: vacuum cannot remove any row deleted or updated after it.

    Why: PostgreSQL keeps every dead row version that some snapshot might still see. One
    transaction left open (often idle in transaction), a forgotten prepared transaction, an
    abandoned replication slot or a standby's feedback holds that point back for the whole
    server: dead rows pile up in every busy table, tables and indexes bloat, index-only scans
    stop being index-only, and in the end transaction-ID wraparound looms. Reported when a
    holder has held it for ``warn_s`` seconds or ``warn_xids`` transactions; critical from
    ``critical_s`` / ``critical_xids``. The dead rows waiting in this database are in evidence.
    Fix: end what holds it (the SQL names it), then prevent it (timeouts, monitoring slots).
    """
    dead = sum(int(r.get("n_dead_tup") or 0) for r in records(snap["tables"]))
    for r in records(snap["xmin_holders"]):
        kind = str(r.get("kind"))
        age = r.get("xmin_age") if r.get("xmin_age") is not None else r.get("catalog_xmin_age")
        held = r.get("held_s")
        if age is None:
            continue
        by_time = held is not None and held >= t["warn_s"]
        by_age = age >= t["warn_xids"]
        if not (by_time or by_age):
            continue
        critical = (held is not None and held >= t["critical_s"]) or age >= t["critical_xids"]
        catalog_only = r.get("xmin_age") is None
        what = {"session": f"session pid {r.get('pid')} ({r.get('state')})",
                "prepared_transaction": f"prepared transaction {r['holder']!r}",
                "replication_slot": f"{r.get('state')} replication slot {r['holder']!r}",
                "standby": f"standby {r['holder']!r}"}.get(kind, f"{kind} {r['holder']}")
        since = f" for {human_seconds(held)}" if held is not None else ""
        yield Finding(
            check="xmin_horizon",
            severity="critical" if critical else "warning",
            title=f"Vacuum is held back by {what}{since} ({int(age):,} transactions)"
                  + (" (system catalogs only)" if catalog_only else ""),
            object={"pid": int(r["pid"]) if r.get("pid") is not None else None, "role": r.get("role"),
                    "database": r.get("database")},
            evidence={"holder_kind": kind, "holder": str(r["holder"]), "state": r.get("state"),
                      "xmin_age": r.get("xmin_age"), "catalog_xmin_age": r.get("catalog_xmin_age"),
                      "held_s": round(held, 1) if held is not None else None,
                      "dead_rows_in_database": dead, "application": r.get("application_name"),
                      "client": r.get("client_addr")},
            recommendation=FIX.get(kind, "End what holds the horizon back."),
            sql=_fix_sql(kind, r),
        )
