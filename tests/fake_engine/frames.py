"""SQLite's views for the shared checks: only statements (from the test's ``dbxray_statements``
table); every other view stays empty (``NoFrames``), so those shared checks find nothing."""

from __future__ import annotations

from typing import Any

from dbxray.checks.frames import NoFrames


class SqliteFrames(NoFrames):
    def statements(self, snap: Any) -> tuple[Any, str | None]:
        from dbxray.report import summary

        frame = snap["statements"]
        return summary.statements(frame), ("dbxray_statements" if not frame.empty else None)
