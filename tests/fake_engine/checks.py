"""SQLite's own check bundle: one check only SQLite has."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.findings import Finding


@check("setting", "settings", engines=("sqlite",), journal_modes=("wal",))
def journal_mode(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """The database is not in one of ``journal_modes`` (write-ahead logging by default).

    Why: with a rollback journal a writer locks the whole file and readers wait for it; in WAL
    mode readers go on reading while one writer writes.
    Fix: ``PRAGMA journal_mode = WAL`` (persistent: it is stored in the database file).
    """
    mode = str(snap.setting("journal_mode") or "").lower()
    if not mode or mode in t["journal_modes"]:
        return
    yield Finding(
        check="setting",
        severity="warning",
        title=f"journal_mode is {mode}: a writer blocks every reader",
        object={"setting": "journal_mode"},
        evidence={"journal_mode": mode, "wanted": list(t["journal_modes"])},
        recommendation="Switch the database to write-ahead logging so reads do not wait for writes.",
        sql="PRAGMA journal_mode = WAL;",
    )
