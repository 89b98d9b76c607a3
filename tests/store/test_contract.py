"""The same behaviour from every backend: save, list, load, find the previous run, prune."""

from __future__ import annotations

import datetime as dt

import pytest

from dbxray import __version__
from dbxray.findings import Finding
from dbxray.report.build import Report
from dbxray.store import RunNotFound, open_store, run_summary, snapshot_target
from tests.store.helpers import T0, counts, make_snapshot

HOUR = dt.timedelta(hours=1)


def save(store, snap, port=5432, name=None, summary=None):
    key, label = snapshot_target(snap, port=port, name=name)
    sevs = [f["severity"] for f in snap.meta["report_findings"]]
    return store.save_run(key, label, snap.collected_at, snap.to_bytes(), summary or counts(*sevs))


def test_a_saved_run_lists_with_its_counts_and_loads_back(store_url):
    snap = make_snapshot(T0, severities=("critical", "warning", "warning"), tag="first")
    with open_store(store_url) as store:
        run_id = save(store, snap)
        [info] = store.runs()
    assert info.id == run_id and isinstance(run_id, str)
    assert info.target_key == "postgres://db1:5432/shop" and info.target_label == "db1:5432/shop"
    assert info.collected_at == T0
    assert info.counts == {"critical": 1, "warning": 2, "info": 0}
    assert info.dbxray_version == __version__
    with open_store(store_url, readonly=True) as store:  # a new process tomorrow: still there
        loaded = store.load_snapshot(run_id)
        assert store.run(run_id) == info
    assert loaded.meta["tag"] == "first" and loaded.collected_at == T0
    assert loaded["statements"]["calls"].tolist() == [10, 20]


def test_runs_are_newest_first_and_filter_by_target_key_or_label(store_url):
    with open_store(store_url) as store:
        for i in range(3):
            save(store, make_snapshot(T0 + i * HOUR, database="shop", tag=f"shop{i}"))
            save(store, make_snapshot(T0 + i * HOUR + dt.timedelta(minutes=1), database="crm", tag=f"crm{i}"))
        save(store, make_snapshot(T0, database="shop", tag="eu"), name="eu-prod")
        everything = store.runs()
        shop = store.runs(target="postgres://db1:5432/shop")
        crm = store.runs(target="db1:5432/crm")
        eu = store.runs(target="eu-prod")
        latest_two = store.runs(limit=2)
        tags = {r.id: store.load_snapshot(r.id).meta["tag"] for r in everything}
    assert len(everything) == 7
    assert [r.collected_at for r in everything] == sorted((r.collected_at for r in everything), reverse=True)
    assert [tags[r.id] for r in shop] == ["shop2", "shop1", "shop0"]  # the named target is a different one
    assert [tags[r.id] for r in crm] == ["crm2", "crm1", "crm0"]
    assert [tags[r.id] for r in eu] == ["eu"] and eu[0].target_key == "postgres://db1:5432/shop#eu-prod"
    assert [tags[r.id] for r in latest_two] == ["crm2", "shop2"]
    assert len({r.id for r in everything}) == 7


def test_previous_is_the_newest_earlier_run_of_the_same_target(store_url):
    with open_store(store_url) as store:
        key, _ = snapshot_target(make_snapshot(T0), port=5432)
        assert store.previous(key, T0) is None  # the first run has nothing to compare with
        first = save(store, make_snapshot(T0, tag="a"))
        second = save(store, make_snapshot(T0 + HOUR, tag="b"))
        save(store, make_snapshot(T0 + 2 * HOUR, database="crm"))  # another database: never a baseline
        save(store, make_snapshot(T0 + 2 * HOUR), port=5433)  # same name, another server
        assert store.previous(key, T0 + 3 * HOUR).id == second
        assert store.previous(key, T0 + HOUR).id == first  # strictly earlier
        assert store.previous(key, T0) is None


def test_prune_removes_runs_older_than_keep_days_and_keeps_the_rest(store_url):
    now = T0 + dt.timedelta(days=40)
    with open_store(store_url) as store:
        ages = [39, 31, 29.9, 5, 0]
        ids = {age: save(store, make_snapshot(now - dt.timedelta(days=age), tag=str(age))) for age in ages}
        assert store.prune(keep_days=30, now=now) == 2
        kept = {r.id for r in store.runs()}
        assert kept == {ids[29.9], ids[5], ids[0]}
        assert store.load_snapshot(ids[29.9]).meta["tag"] == "29.9"
        with pytest.raises(RunNotFound):
            store.load_snapshot(ids[39])
        assert store.prune(keep_days=30, now=now) == 0  # idempotent
    with open_store(store_url, readonly=True) as store:
        assert {r.id for r in store.runs()} == kept


@pytest.mark.parametrize("days", [0, -3])
def test_keep_days_must_be_positive(store_url, days):
    with open_store(store_url) as store:
        save(store, make_snapshot(T0))
        with pytest.raises(Exception, match="--keep-days must be a positive number"):
            store.prune(keep_days=days)
        assert len(store.runs()) == 1


@pytest.mark.parametrize("bad_id", ["999999", "abc", "../../etc/passwd", "", "99999999999999999999999"])
def test_an_unknown_run_id_is_one_line_naming_the_id(store_url, bad_id):
    with open_store(store_url) as store:
        save(store, make_snapshot(T0))
        with pytest.raises(RunNotFound) as err:
            store.load_snapshot(bad_id)
        with pytest.raises(RunNotFound):
            store.run(bad_id)
    message = str(err.value)
    assert "\n" not in message and "no run" in message and "dbxray history" in message


def test_run_summary_keeps_counts_and_what_changed(store_url):
    report = Report("report", {}, T0, incomplete=["pg_stat_statements is not installed"],
                    summary={"changes": {"new": [{"check": "x"}], "resolved": [], "unchanged": 3}})
    report.add([Finding("a", "warning", "w1"), Finding("b", "warning", "w2"), Finding("c", "info", "i")])
    with open_store(store_url) as store:
        save(store, make_snapshot(T0), summary=run_summary(report))
        [info] = store.runs()
    assert info.counts == {"critical": 0, "warning": 2, "info": 1}
    assert info.summary["changes"] == {"new": 1, "resolved": 0}
    assert info.summary["incomplete"] == ["pg_stat_statements is not installed"]
