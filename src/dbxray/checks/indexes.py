"""Index checks every engine shares, over the index-usage view (``checks.frames``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.frames import frames_of
from dbxray.findings import Finding


@check("unused_index", "indexes", min_bytes=1_048_576, min_stats_days=7.0)
def unused_index(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Indexes never used since the usage statistics began (never primary-key, unique or other
    constraint-backing indexes: they enforce something).

    Why: every index slows every write to its table, takes space and memory, and lengthens
    vacuum / purge, while an unused one gives nothing back. Sources: ``pg_stat_user_indexes``
    (since the statistics were reset); MySQL's performance_schema index I/O (since the server
    started) or MariaDB's userstat (since it was enabled: an age the server does not report).
    Indexes under ``min_bytes`` are skipped, and so are tables nothing read (no evidence).
    How sure: only as sure as the statistics are old, so the age is always shown and the
    finding stays ``info`` while it is younger than ``min_stats_days`` (or unknown), or while
    a foreign key needs the index; indexes used only on replicas or by a monthly job also
    look unused here. Check every node before dropping.
    Fix: drop it online (``DROP INDEX CONCURRENTLY``; on MariaDB 10.6+ / MySQL 8 hide it first
    with IGNORED / INVISIBLE); the undo is given with it.
    """
    frames = frames_of(snap)
    age_s = frames.stats_age(snap)
    young = age_s is None or age_s < t["min_stats_days"] * 86400
    for ix in frames.unused_indexes(snap):
        if ix["enforces"]:
            continue
        size = ix.get("size_bytes")
        if size is not None and size < t["min_bytes"]:
            continue
        fks = frames.index_foreign_keys(snap, ix)
        severity = "info" if young or fks else "warning"
        yield frames.unused_index_text(snap, ix, fks, age_s, young).finding("unused_index", severity)
