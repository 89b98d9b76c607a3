"""Activity checks only PostgreSQL has: sessions idle in a transaction (pg_stat_activity)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import client_sessions, human_seconds, short_query
from dbxray.findings import Finding


@check("idle_in_transaction", "activity", engines=ENGINES, warn_s=300.0, critical_s=1800.0)
def idle_in_transaction(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Sessions that opened a transaction and then went idle.

    Why: an idle transaction holds every lock it took and pins the xmin horizon, so vacuum
    cannot remove dead rows anywhere in the database while it lasts. It is usually an
    application that forgot to commit, or a connection pool returning dirty connections.
    Defaults: ``warn_s`` 5 min, ``critical_s`` 30 min (pganalyze warns at 30 min, checkup at 1 h:
    we are stricter because the damage starts well before).
    Fix: terminate it, then set ``idle_in_transaction_session_timeout`` for the role.
    """
    for r in client_sessions(snap):
        if not str(r.get("state") or "").startswith("idle in transaction"):
            continue
        age = r.get("state_age_s")
        if age is None or age < t["warn_s"]:
            continue
        pid = int(r["pid"])
        role = r.get("role")
        yield Finding(
            check="idle_in_transaction",
            severity="critical" if age >= t["critical_s"] else "warning",
            title=f"Session idle in transaction for {human_seconds(age)} (pid {pid}, {role})",
            object={"pid": pid, "role": role, "database": r.get("database")},
            evidence={"idle_s": round(age, 1), "xact_age_s": r.get("xact_age_s"), "xmin_age": r.get("xmin_age"),
                      "state": r.get("state"), "application": r.get("application_name"),
                      "client": r.get("client_addr"), "last_query": short_query(r.get("query"), 300)},
            recommendation=("Terminate the session, and make the application commit or roll back promptly; set "
                            "idle_in_transaction_session_timeout for its role so the server does it next time."),
            sql=(f"SELECT pg_terminate_backend({pid});\n"
                 + (f"ALTER ROLE {_ident(role)} SET idle_in_transaction_session_timeout = '5min';" if role else "")),
        )


def _ident(name: str) -> str:
    from dbxray.engines.postgres.quoting import pg_ident

    return pg_ident(name)
