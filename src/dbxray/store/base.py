"""The store contract: one ``RunInfo`` per saved run, and the ``Store`` methods every backend has.

A run is a saved snapshot (gzip JSON bytes, as ``Snapshot.to_bytes`` writes them) plus the few
facts a listing needs (target, time, counts by severity) kept *beside* it, so that listing
1,000 runs never decompresses a snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from dbxray.errors import BadInput
from dbxray.findings import SEVERITIES, jsonable
from dbxray.snapshot import Snapshot
from dbxray.store.errors import RunNotFound
from dbxray.store.target import legacy_key


@dataclass(frozen=True)
class RunInfo:
    """What ``dbxray history`` lists about one run; no snapshot decoding needed to build it."""

    id: str
    target_key: str
    target_label: str
    collected_at: dt.datetime  # timezone-aware, UTC
    counts: dict[str, int] = field(default_factory=dict)  # critical / warning / info
    dbxray_version: str = ""
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target_label, "target_key": self.target_key,
                "collected_at": iso_utc(self.collected_at), "findings": dict(self.counts),
                "dbxray_version": self.dbxray_version, "summary": self.summary}


def utc(when: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive time is taken as UTC (what dbxray collects)."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def iso_utc(when: dt.datetime) -> str:
    """Fixed-width UTC text: sorts as text in the same order as in time (sqlite, index files)."""
    return utc(when).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> dt.datetime:
    return utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))


def counts_of(summary: dict[str, Any] | None) -> dict[str, int]:
    """Counts by severity from a report summary (``summary["findings"]`` of the JSON report)."""
    found = (summary or {}).get("findings") or {}
    try:
        return {sev: int(found.get(sev, 0) or 0) for sev in SEVERITIES}
    except (TypeError, ValueError, AttributeError):
        raise BadInput(f"report summary findings must be counts by severity, not {found!r:.80}") from None


def summary_json(summary: dict[str, Any] | None) -> str:
    return json.dumps(jsonable(summary or {}), separators=(",", ":"), sort_keys=True)


def int_id(run_id: Any) -> int:
    """A SQL store's run id from what the user typed; -1 (no such run) for anything else."""
    try:
        value = int(str(run_id).strip())
    except ValueError:
        return -1
    return value if 0 < value < 2**63 else -1


def run_summary(report: Any) -> dict[str, Any]:
    """The small summary worth keeping per run: counts by severity, why it was partial, what changed."""
    out: dict[str, Any] = {"findings": report.counts()}
    workload = report.summary.get("workload") if getattr(report, "summary", None) else None
    if workload:
        out["workload"] = workload
    if getattr(report, "incomplete", None):
        out["incomplete"] = list(report.incomplete)
    changes = report.summary.get("changes") if getattr(report, "summary", None) else None
    if changes:
        out["changes"] = {"new": len(changes.get("new", [])), "resolved": len(changes.get("resolved", []))}
    return out


class Store(ABC):
    """A place runs are saved to and listed from; open one with ``dbxray.store.open_store``.

    Run ids are strings a user can type: an integer in SQL stores, the file stem in a directory.
    Lists are newest first. Every failure is a one-line ``DbxrayError``; a failed call leaves
    what was already stored untouched.
    """

    display: str = ""  # where the store is, safe to print (no password)

    @abstractmethod
    def save_run(self, target_key: str, target_label: str, collected_at: dt.datetime, snapshot_bytes: bytes,
                 report_summary: dict[str, Any] | None = None) -> str:
        """Keep one run atomically and return its id."""

    @abstractmethod
    def runs(self, target: str | None = None, limit: int | None = None) -> list[RunInfo]:
        """Runs newest first; ``target`` matches a target key or label exactly."""

    @abstractmethod
    def run(self, run_id: str) -> RunInfo:
        """One run's listing facts, or ``RunNotFound``."""

    @abstractmethod
    def _snapshot_bytes(self, run_id: str) -> bytes:
        """The stored bytes of a run, or ``RunNotFound``."""

    @abstractmethod
    def _previous(self, target_key: str, before: dt.datetime) -> RunInfo | None:
        """The newest run of exactly this key collected before ``before``."""

    @abstractmethod
    def _prune(self, cutoff: dt.datetime) -> int:
        """Remove runs collected before ``cutoff``; return how many."""

    def load_snapshot(self, run_id: str) -> Snapshot:
        """The run's snapshot; a damaged one is a one-line ``BadInput`` (and stays stored)."""
        run_id = str(run_id).strip()
        return Snapshot.from_bytes(self._snapshot_bytes(run_id), origin=f"run {run_id} in {self.display}")

    def previous(self, target_key: str, before: dt.datetime) -> RunInfo | None:
        """The run to compare with: the newest earlier run of the same target.

        Runs saved before dbxray recorded ports have a port-less key; they still count as the
        previous run of the same engine, host and database when nothing newer matches exactly.
        """
        found = self._previous(target_key, utc(before))
        old_key = legacy_key(target_key)
        if found is None and old_key != target_key:
            found = self._previous(old_key, utc(before))
        return found

    def prune(self, keep_days: float, now: dt.datetime | None = None) -> int:
        """Retention (``--keep-days``): remove runs collected more than ``keep_days`` ago."""
        if keep_days is None or keep_days <= 0:
            raise BadInput(f"--keep-days must be a positive number of days, not {keep_days!r}")
        now = utc(now or dt.datetime.now(dt.UTC))
        return self._prune(now - dt.timedelta(days=keep_days))

    def close(self) -> None:  # noqa: B027 - backends without a connection have nothing to close
        """Release the connection or handles; the store stays as it is."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _not_found(run_id: str, where: str) -> RunNotFound:
        return RunNotFound(f"no run {run_id!r} in history store {where} (list them with 'dbxray history')")
