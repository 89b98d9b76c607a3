"""Run in separate processes by the concurrency tests (spawned, so each has its own connections)."""

from __future__ import annotations

import datetime as dt

from dbxray.store import open_store, snapshot_target
from tests.store.helpers import T0, counts, make_snapshot


def write_runs(url: str, worker: int, n: int, barrier, results) -> None:
    """Open the (maybe not yet created) store at the same moment as the others, then save ``n`` runs
    whose timestamps collide with the other workers' (same target, same microsecond); put
    ``(worker, ids)`` or ``(worker, error)`` on ``results``."""
    barrier.wait(timeout=120)
    ids = []
    try:
        _write(url, worker, n, ids)
    except Exception as exc:
        results.put((worker, f"{type(exc).__name__}: {exc}"))
        return
    results.put((worker, ids))


def _write(url: str, worker: int, n: int, ids: list[str]) -> None:
    with open_store(url) as store:
        for i in range(n):
            snap = make_snapshot(T0 + dt.timedelta(minutes=i), severities=("warning",) * (worker + 1),
                                 tag=f"w{worker}-r{i}")
            key, label = snapshot_target(snap, port=5432)
            ids.append(store.save_run(key, label, snap.collected_at, snap.to_bytes(),
                                      counts(*("warning",) * (worker + 1))))
