"""Activity checks only MySQL/MariaDB have: open InnoDB transactions, idle or long.

INNODB_TRX and the processlist show other accounts' sessions only with PROCESS; without it
this check sees only dbxray's own account (a note says so).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import human_seconds, short_query
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import records
from dbxray.findings import Finding


@check("idle_in_transaction", "activity", engines=ENGINES, warn_s=300.0, critical_s=1800.0)
def idle_in_transaction(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Open InnoDB transactions whose session is idle (Sleep), or that have stayed open for long.

    Why: an open transaction keeps its read view (purge stalls, the history list length
    grows and every query reads through more old row versions) and holds every row and
    metadata lock it took. Idle in transaction for ``warn_s``: usually an application that
    forgot to commit, or a pool returning dirty connections. A transaction open ``warn_s``
    while it keeps running short statements is reported too (a long batch).
    Source: information_schema.INNODB_TRX joined to the processlist (needs PROCESS).
    Fix: kill the session (its transaction rolls back), then make the application commit
    promptly; MariaDB can do it for you with idle_transaction_timeout.
    """
    for r in records(snap["transactions"]):
        pid = r.get("pid")
        if pid is None:
            continue
        pid = int(pid)
        trx_age = float(r.get("trx_seconds") or 0)
        command = str(r.get("command") or "")
        idle = float(r.get("command_seconds") or 0) if command == "Sleep" else None
        if idle is not None:
            if idle < t["warn_s"]:
                continue
            age, title = idle, f"Session idle in transaction for {human_seconds(idle)} (id {pid}, {r.get('user')})"
        else:
            if trx_age < t["warn_s"] or float(r.get("command_seconds") or 0) >= t["warn_s"]:
                continue  # a single long statement: long_running_query reports it
            age, title = trx_age, f"Transaction open for {human_seconds(trx_age)} (id {pid}, {r.get('user')})"
        sql = f"KILL {pid};  -- ends the session; its transaction is rolled back"
        if snap.meta.get("flavor") == "mariadb":
            sql += ("\nSET GLOBAL idle_transaction_timeout = 300;  -- MariaDB: closes sessions idle in a "
                    "transaction for 5 min (also in the config file)")
        yield Finding(
            check="idle_in_transaction",
            severity="critical" if age >= t["critical_s"] else "warning",
            title=title,
            object={"pid": pid, "role": r.get("user"), "database": r.get("db")},
            evidence={"idle_s": idle, "trx_age_s": trx_age, "trx_state": r.get("state"), "command": command,
                      "rows_locked": r.get("rows_locked"), "rows_modified": r.get("rows_modified"),
                      "tables_locked": r.get("tables_locked"), "isolation": r.get("isolation_level"),
                      "client": r.get("client"), "source": "information_schema.INNODB_TRX",
                      "current_query": short_query(r.get("query"), 300)},
            recommendation=("Kill the session, and make the application commit or roll back promptly; an open "
                            "transaction holds its locks and stops InnoDB purge for the whole server."),
            sql=sql,
        )


__all__ = ["idle_in_transaction"]
