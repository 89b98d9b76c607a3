"""History stores: where scheduled runs keep their snapshots, for listings and diffs.

    from dbxray.store import open_store, snapshot_target, run_summary

    with open_store("sqlite:////var/lib/dbxray/history.db") as store:   # or a DIR, or postgresql://…
        key, label = snapshot_target(snap, port=5432, name=None)
        prev = store.previous(key, snap.collected_at)                  # RunInfo | None
        run_id = store.save_run(key, label, snap.collected_at, snap.to_bytes(), run_summary(report))
        store.runs(target=label, limit=20)                             # newest first, no decoding
        store.load_snapshot(run_id)                                    # -> Snapshot
        store.prune(keep_days=30)                                      # -> runs removed

Every failure (unreachable, read-only, newer schema, damaged run) is a one-line ``DbxrayError``
raised before anything stored is touched.
"""

from __future__ import annotations

from pathlib import Path

from dbxray.store.base import RunInfo, Store, run_summary
from dbxray.store.errors import RunNotFound, StoreReadOnly, StoreTooNew, StoreUnavailable
from dbxray.store.listing import render_runs
from dbxray.store.lookup import load_ref, previous_snapshot
from dbxray.store.target import snapshot_target, target_key, target_label
from dbxray.store.url import parse_store_url


def open_store(url_or_path: str | Path, readonly: bool = False, connect_timeout: int = 5,
               statement_timeout: float = 60.0) -> Store:
    """Open (creating and migrating unless ``readonly``) the store a ``--history`` value names.

    ``readonly`` is for ``dbxray history`` and ``dbxray diff``: nothing is created, and a store
    the user may only read still lists. A writable open proves the store writable up front, so
    ``dbxray report`` fails before spending minutes collecting.
    """
    location = parse_store_url(url_or_path)
    if location.kind == "sqlite":
        from dbxray.store.sqlite import SqliteStore

        return SqliteStore(location.where, readonly=readonly)
    if location.kind == "postgres":
        from dbxray.store.postgres import PostgresStore

        return PostgresStore(location.where, readonly=readonly, connect_timeout=connect_timeout,
                             statement_timeout=statement_timeout)
    from dbxray.store.directory import DirectoryStore

    return DirectoryStore(location.where, readonly=readonly)


__all__ = [
    "RunInfo",
    "RunNotFound",
    "Store",
    "StoreReadOnly",
    "StoreTooNew",
    "StoreUnavailable",
    "load_ref",
    "open_store",
    "parse_store_url",
    "previous_snapshot",
    "render_runs",
    "run_summary",
    "snapshot_target",
    "target_key",
    "target_label",
]
