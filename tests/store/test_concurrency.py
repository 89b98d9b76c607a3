"""Several runners writing to one store at once (each its own process): no run lost, none damaged,
every id distinct, and the store created only once even when they all open it first."""

from __future__ import annotations

import multiprocessing

import pytest

from dbxray.store import open_store
from tests.store.conftest import BACKENDS, fresh_url
from tests.store.workers import write_runs

WORKERS = 4
RUNS_EACH = 12


@pytest.mark.slow
@pytest.mark.parametrize("kind", BACKENDS)
def test_parallel_runners_lose_nothing(kind, request, tmp_path):
    url = fresh_url(kind, request, tmp_path)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = start(ctx, url, WORKERS, barrier, results)
    all_ids = collect(procs, results)
    assert len(set(all_ids)) == WORKERS * RUNS_EACH  # same target, same timestamps: still distinct runs
    with open_store(url, readonly=True) as store:
        runs = store.runs()
        assert sorted(r.id for r in runs) == sorted(all_ids)
        tags = {store.load_snapshot(r.id).meta["tag"]: r for r in runs}
    assert set(tags) == {f"w{w}-r{i}" for w in range(WORKERS) for i in range(RUNS_EACH)}
    for tag, info in tags.items():  # each run's listing facts belong to its own snapshot
        worker = int(tag[1:].split("-")[0])
        assert info.counts["warning"] == worker + 1, tag


def test_a_reader_listing_while_runners_write_sees_only_whole_runs(tmp_path, request):
    """The directory store's index is rewritten by readers: interleave listings with writes."""
    url = fresh_url("directory", request, tmp_path)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(3), ctx.Queue()
    procs = start(ctx, url, 2, barrier, results)
    barrier.wait(timeout=120)
    listings = 0
    with open_store(url) as store:
        while any(p.is_alive() for p in procs) or listings == 0:
            for info in store.runs():
                assert info.target_label == "db1:5432/shop" and info.counts["warning"] in (1, 2)
            listings += 1
    all_ids = collect(procs, results)
    with open_store(url) as store:
        assert sorted(r.id for r in store.runs()) == sorted(all_ids)


def start(ctx, url, n, barrier, results):
    procs = [ctx.Process(target=write_runs, args=(url, w, RUNS_EACH, barrier, results)) for w in range(n)]
    for p in procs:
        p.start()
    return procs


def collect(procs, results) -> list[str]:
    """Every worker's ids; a worker's error fails the test with its one-line message."""
    returned = dict(results.get(timeout=300) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    errors = {w: r for w, r in returned.items() if isinstance(r, str)}
    assert not errors, errors
    return [i for ids in returned.values() for i in ids]
