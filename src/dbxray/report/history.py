"""Scheduled reports: keep snapshots in a directory and say what changed since the last run.

``dbxray report --history DIR`` (cron, a Kubernetes CronJob) loads the newest earlier snapshot of
the same database from DIR, reports the workload *between* the two runs, lists the findings that
appeared and the ones that went away, and saves the new snapshot for next time.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from dbxray.findings import Finding
from dbxray.snapshot import Snapshot

PATTERN = "dbxray-*.json.gz"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60] or "db"


def snapshot_path(directory: Path, snap: Snapshot) -> Path:
    stamp = snap.collected_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return directory / f"dbxray-{_slug(snap.host)}-{_slug(snap.database)}-{stamp}.json.gz"


def previous_snapshot(directory: Path, snap: Snapshot) -> Snapshot | None:
    """The newest snapshot in ``directory`` of the same engine, host and database, older than ``snap``."""
    prefix = f"dbxray-{_slug(snap.host)}-{_slug(snap.database)}-"
    for path in sorted(directory.glob(PATTERN), reverse=True):
        if not path.name.startswith(prefix):
            continue
        try:
            old = Snapshot.load(path)
        except Exception:  # a damaged file must not stop tonight's report
            continue
        if (old.engine, old.host, old.database) == (snap.engine, snap.host, snap.database) and \
                old.collected_at < snap.collected_at:
            return old
    return None


def _key(f: Finding) -> tuple:
    obj = {k: v for k, v in f.object.items() if k != "pid"}  # sessions come and go; the problem is the same
    return (f.check, tuple(sorted((k, str(v)) for k, v in obj.items())))


def changes(current: list[Finding], previous: list[Finding], since: dt.datetime) -> dict[str, Any]:
    """Findings new since the previous run, and findings of the previous run that are gone."""
    now_keys = {_key(f): f for f in current}
    old_keys = {_key(f): f for f in previous}
    brief = lambda f: {"check": f.check, "severity": f.severity, "title": f.title, "object": f.object}  # noqa: E731
    return {
        "since": since.isoformat(),
        "new": [brief(f) for k, f in now_keys.items() if k not in old_keys],
        "resolved": [brief(f) for k, f in old_keys.items() if k not in now_keys],
        "unchanged": sum(1 for k in now_keys if k in old_keys),
    }
