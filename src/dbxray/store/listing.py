"""``dbxray history`` output: one line per run, or JSON; built from RunInfo only (no decoding)."""

from __future__ import annotations

import json

from dbxray.store.base import RunInfo


def render_runs(runs: list[RunInfo], fmt: str = "text", store: str = "") -> str:
    if fmt == "json":
        return json.dumps({"store": store, "runs": [r.to_dict() for r in runs]}, indent=2) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}")
    if not runs:
        return f"no runs in {store}\n" if store else "no runs\n"
    rows = [("ID", "TARGET", "COLLECTED (UTC)", "CRIT", "WARN", "INFO", "DBXRAY")]
    rows += [(r.id, r.target_label, r.collected_at.strftime("%Y-%m-%d %H:%M:%S"), str(r.counts.get("critical", 0)),
              str(r.counts.get("warning", 0)), str(r.counts.get("info", 0)), r.dbxray_version or "-") for r in runs]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {3, 4, 5}
    lines = ["  ".join(cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in
                       enumerate(zip(row, widths))).rstrip() for row in rows]
    return "\n".join(lines) + "\n"
