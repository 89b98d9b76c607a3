"""Schema checks every engine shares, over the sequences view (``checks.frames``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.frames import frames_of
from dbxray.findings import Finding


@check("sequence_exhaustion", "schema", info_pct=50.0, warn_pct=75.0, critical_pct=90.0)
def sequence_exhaustion(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Generated keys (sequences, AUTO_INCREMENT columns) close to the end of their range.

    Why: when a key generator or the column behind it runs out, every INSERT fails. The
    real limit is the smaller of the generator's own maximum and the maximum of the column
    type it feeds: an ``integer`` column fed by a ``bigint`` sequence fails at 2,147,483,647
    even though the sequence could go on; an AUTO_INCREMENT column stops at its type's
    maximum, signed or unsigned (TINYINT 127/255 … BIGINT). Descending sequences are
    measured towards their minimum. ``info_pct`` / ``warn_pct`` / ``critical_pct`` of the
    range used set the severity.
    Fix: widen the column (and the sequence, and every foreign key column that references
    it) to bigint; the ALTER rewrites the table, so plan it well before the critical band.
    """
    frames = frames_of(snap)
    for seq in frames.sequences(snap):
        pct = seq["used_pct"]
        if pct < t["info_pct"]:
            continue
        severity = "critical" if pct >= t["critical_pct"] else "warning" if pct >= t["warn_pct"] else "info"
        yield frames.sequence_text(snap, seq, pct).finding("sequence_exhaustion", severity)
