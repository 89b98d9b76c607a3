"""The directory store keeps what ``--history DIR`` wrote before it, and stays readable by it."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

from dbxray.report import history as legacy
from dbxray.snapshot import Snapshot
from dbxray.store import open_store, snapshot_target
from tests.store.helpers import T0, counts, make_snapshot

HOUR = dt.timedelta(hours=1)


def legacy_save(directory, snap):
    """Exactly what ``dbxray report --history DIR`` wrote before the store existed."""
    directory.mkdir(parents=True, exist_ok=True)
    return snap.save(legacy.snapshot_path(directory, snap))


def test_runs_saved_by_the_old_history_option_are_listed_and_compared_with(tmp_path):
    runs = tmp_path / "runs"
    old = legacy_save(runs, make_snapshot(T0, severities=("critical", "warning", "info", "info"), tag="old"))
    with open_store(runs) as store:
        [info] = store.runs()
        assert info.id == old.name.removesuffix(".json.gz")
        assert info.counts == {"critical": 1, "warning": 1, "info": 2}  # from the findings it kept
        assert info.target_label == "db1/shop"
        # tonight's run knows the port; the old run (no port recorded) is still its previous run
        snap = make_snapshot(T0 + HOUR, tag="new")
        key, label = snapshot_target(snap, port=5432)
        assert store.previous(key, snap.collected_at).id == info.id
        new_id = store.save_run(key, label, snap.collected_at, snap.to_bytes(), counts("warning"))
        assert store.previous(key, T0 + 2 * HOUR).id == new_id  # an exact match wins from then on
        assert store.load_snapshot(info.id).meta["tag"] == "old"


def test_runs_saved_by_the_store_stay_readable_by_the_old_code(tmp_path):
    runs = tmp_path / "runs"
    snap = make_snapshot(T0, tag="from-store")
    with open_store(runs) as store:
        key, label = snapshot_target(snap, port=5432)
        run_id = store.save_run(key, label, snap.collected_at, snap.to_bytes(), counts("warning"))
    path = runs / f"{run_id}.json.gz"
    assert path.name.startswith("dbxray-db1-shop-")
    assert Snapshot.load(path).meta["tag"] == "from-store"  # dbxray report --snapshot FILE, dbxray diff FILE
    found = legacy.previous_snapshot(runs, make_snapshot(T0 + HOUR))  # an older dbxray in the fleet
    assert found is not None and found.meta["tag"] == "from-store"


def test_the_index_is_a_cache_rebuilt_when_lost_or_damaged(tmp_path):
    runs = tmp_path / "runs"
    legacy_save(runs, make_snapshot(T0, tag="legacy"))
    with open_store(runs) as store:
        snap = make_snapshot(T0 + HOUR)
        key, _ = snapshot_target(snap, port=5432)
        store.save_run(key, "eu-prod", snap.collected_at, snap.to_bytes(), counts("critical"))
        listed = store.runs()
    index = runs / "dbxray-index.json"
    assert {e["id"] for e in json.loads(index.read_text())["runs"]} == {r.id for r in listed}
    for damage in (lambda: index.unlink(), lambda: index.write_text('{"runs": [{"id": 1}'), lambda: None):
        damage()
        with open_store(runs) as store:
            assert store.runs() == listed
    assert listed[0].target_label == "eu-prod" and listed[0].counts["critical"] == 1  # from its sidecar


def test_listing_reads_the_index_not_the_snapshots(tmp_path):
    runs = tmp_path / "runs"
    path = legacy_save(runs, make_snapshot(T0, tag="legacy"))
    with open_store(runs) as store:
        listed = store.runs()
    path.write_bytes(b"damaged after it was indexed")
    with open_store(runs) as store:
        assert store.runs() == listed


def test_prune_removes_leftovers_of_crashed_writers_but_not_a_write_in_progress(tmp_path):
    runs = tmp_path / "runs"
    with open_store(runs) as store:
        snap = make_snapshot(T0)
        key, label = snapshot_target(snap, port=5432)
        kept = store.save_run(key, label, T0, snap.to_bytes(), counts())
        stale_tmp, fresh_tmp = runs / ".tmp-crashed", runs / ".tmp-writing-now"
        orphan = runs / "dbxray-db1-shop-20250101T000000000000Z.run.json"  # sidecar whose writer died
        for path in (stale_tmp, fresh_tmp, orphan):
            path.write_text("{}")
        two_hours_ago = time.time() - 7200
        for path in (stale_tmp, orphan):
            os.utime(path, (two_hours_ago, two_hours_ago))
        assert store.prune(keep_days=3650, now=T0) == 0
        assert [r.id for r in store.runs()] == [kept]
    assert not stale_tmp.exists() and not orphan.exists()
    assert fresh_tmp.exists()


def test_old_snapshots_are_indexed_from_their_header_even_when_meta_is_unusual(tmp_path):
    """Only the part before ``frames`` is inflated; a meta that itself has a ``frames`` key
    makes that shortcut fail, and the whole document is read instead."""
    runs = tmp_path / "runs"
    plain = make_snapshot(T0, severities=("critical",), tag="plain")
    odd = make_snapshot(T0 + HOUR, severities=("info", "info"), tag="odd")
    odd.meta["frames"] = {"note": 'a "frames" key, and the text ,"frames": inside a string'}
    legacy_save(runs, plain)
    legacy_save(runs, odd)
    with open_store(runs) as store:
        listed = store.runs()
        assert [r.counts for r in listed] == [{"critical": 0, "warning": 0, "info": 2},
                                              {"critical": 1, "warning": 0, "info": 0}]
        assert [r.collected_at for r in listed] == [T0 + HOUR, T0]
        assert store.load_snapshot(listed[0].id).meta["frames"]["note"].startswith("a ")
