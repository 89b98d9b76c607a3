"""What the commands need on top of a store: the run to compare with, and ``diff`` arguments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dbxray.errors import BadInput
from dbxray.snapshot import Snapshot
from dbxray.store.base import RunInfo, Store, utc

MAX_SKIPPED = 5


def previous_snapshot(store: Store, target_key: str, before: dt.datetime,
                      skipped: list[str] | None = None) -> tuple[RunInfo, Snapshot] | None:
    """The newest earlier run of the target that still loads: a damaged run must not stop tonight's
    report, so it is passed over (its id appended to ``skipped``) and left in the store."""
    when = utc(before)
    for _ in range(MAX_SKIPPED + 1):
        info = store.previous(target_key, when)
        if info is None:
            return None
        try:
            return info, store.load_snapshot(info.id)
        except BadInput:
            if skipped is not None:
                skipped.append(info.id)
            when = info.collected_at
    return None


def load_ref(ref: str, store: Store | None = None) -> Snapshot:
    """A ``dbxray diff`` argument: a saved snapshot file, else a run id of ``store``."""
    path = Path(ref).expanduser()
    if path.is_file():
        return Snapshot.load(path)
    if store is None:
        raise BadInput(f"{ref!r} is not a snapshot file (to compare run ids, give --history STORE)")
    return store.load_snapshot(ref)
