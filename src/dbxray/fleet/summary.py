"""The table ``dbxray report --all`` ends with: one row per target, worst news in plain sight.

Plain aligned text (like ``dbxray history``): it goes to cron mail, CI logs and terminals alike.
"""

from __future__ import annotations

from dbxray.fleet.result import TargetResult

NOTE_WIDTH = 72


def fleet_code(results: list[TargetResult]) -> int:
    """The fleet's exit code: the highest of its targets' codes."""
    return max((r.code for r in results), default=0)


def render_summary(results: list[TargetResult], code: int | None = None) -> str:
    code = fleet_code(results) if code is None else code
    rows = [("TARGET", "EXIT", "STATUS", "CRIT", "WARN", "INFO", "SECONDS", "TOP BOTTLENECK / ERROR")]
    for r in results:
        counts = r.counts()
        cells = [str(counts[s]) for s in ("critical", "warning", "info")] if counts else ["-", "-", "-"]
        rows.append((r.name, str(r.code), r.status, *cells, f"{r.seconds:.1f}", _short(_note(r))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {1, 3, 4, 5, 6}
    lines = ["  ".join(cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in
                       enumerate(zip(row, widths))).rstrip() for row in rows]
    failed = sum(1 for r in results if not r.ok)
    lines.append(f"{len(results)} target(s): {len(results) - failed} reported, {failed} failed; exit {code}")
    return "\n".join(lines) + "\n"


def _note(r: TargetResult) -> str:
    if not r.ok:
        return r.error
    top = r.bottlenecks(1)
    if top and top[0]["severity"] != "info":
        return f"[{top[0]['severity']}] {top[0]['title']}"
    return r.why or "nothing stands out"


def _short(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= NOTE_WIDTH else one[: NOTE_WIDTH - 1] + "…"
