"""The small pieces: store URLs, snapshot bytes, target keys, the listing's text and JSON."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from dbxray.errors import BadInput
from dbxray.snapshot import Snapshot
from dbxray.store import RunInfo, load_ref, open_store, parse_store_url, render_runs, snapshot_target
from dbxray.store.target import legacy_key, target_key
from tests.store.helpers import T0, counts, make_snapshot


@pytest.mark.parametrize("value, kind, where", [
    ("/var/lib/dbxray", "directory", "/var/lib/dbxray"),
    ("runs", "directory", "runs"),
    ("file:///srv/runs", "directory", "/srv/runs"),
    ("sqlite:////abs/path.db", "sqlite", "/abs/path.db"),
    ("sqlite:///rel/path.db", "sqlite", "rel/path.db"),
    ("sqlite+pysqlite:///rel.db", "sqlite", "rel.db"),
    ("postgresql://u:pw@h:5433/fleet", "postgres", "postgresql://u:pw@h:5433/fleet"),
    ("postgres://h/fleet", "postgres", "postgresql://h/fleet"),
    ("postgresql+psycopg://h/fleet?sslmode=require", "postgres", "postgresql://h/fleet?sslmode=require"),
])
def test_store_urls_follow_the_sqlalchemy_convention(value, kind, where):
    location = parse_store_url(value)
    assert (location.kind, location.where) == (kind, where)
    assert "pw" not in location.display


def test_an_existing_sqlite_file_given_as_a_path_is_an_sqlite_store(tmp_path):
    db = tmp_path / "history.db"
    with open_store(f"sqlite:///{db}") as store:
        store.save_run("postgres://h:1/d", "d", T0, b"x", counts())
    assert parse_store_url(str(db)).kind == "sqlite"
    with open_store(db, readonly=True) as store:
        assert len(store.runs()) == 1


def test_snapshot_bytes_round_trip_and_match_a_saved_gz_file(tmp_path):
    snap = make_snapshot(T0, tag="bytes")
    data = snap.to_bytes()
    assert data[:2] == b"\x1f\x8b"
    back = Snapshot.from_bytes(data)
    assert back.meta["tag"] == "bytes" and back.collected_at == T0
    assert back["statements"].equals(snap["statements"])
    path = snap.save(tmp_path / "s.json.gz")
    assert gzip.decompress(path.read_bytes()) == gzip.decompress(data)


@pytest.mark.parametrize("data, expected", [
    (b"\x1f\x8b\x08\x00cut", "not a dbxray snapshot"),
    (b"{\"format\": \"something-else\"}", "not a dbxray snapshot"),
    (gzip.compress(b'{"format": "dbxray-snapshot", "engine": "postgres"}', mtime=0), "damaged dbxray snapshot"),
    (b"\xff\xfe not utf-8", "not a dbxray snapshot"),
])
def test_damaged_snapshot_bytes_are_one_line(data, expected, tmp_path):
    with pytest.raises(BadInput) as err:
        Snapshot.from_bytes(data, origin="run 7 in here")
    message = str(err.value)
    assert expected in message and "run 7 in here" in message and "\n" not in message
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data)
    with pytest.raises(BadInput, match=r"cut\.json\.gz"):
        Snapshot.load(path)


def test_target_keys_never_hold_a_user_and_tell_servers_apart():
    snap = make_snapshot(T0, host="DB1.example.com")
    key, label = snapshot_target(snap, port=5432)
    assert key == "postgres://db1.example.com:5432/shop" and label == "DB1.example.com:5432/shop"
    assert snapshot_target(snap, port=5433)[0] != key
    assert snapshot_target(snap, port=5432, name="eu")[0] == f"{key}#eu"
    assert legacy_key(f"{key}#eu") == "postgres://db1.example.com/shop#eu"
    assert legacy_key(target_key("mysql", "h", None, "d")) == "mysql://h/d"


def test_diff_arguments_are_snapshot_files_or_run_ids(tmp_path):
    path = make_snapshot(T0, tag="file").save(tmp_path / "a.json.gz")
    with open_store(tmp_path / "runs") as store:
        snap = make_snapshot(T0, tag="run")
        run_id = store.save_run(*snapshot_target(snap, port=1), T0, snap.to_bytes(), counts())
        assert load_ref(str(path), store).meta["tag"] == "file"
        assert load_ref(run_id, store).meta["tag"] == "run"
    with pytest.raises(BadInput, match="give --history STORE"):
        load_ref("42")


def test_the_listing_shows_id_target_time_and_counts():
    runs = [RunInfo("12", "postgres://db1:5432/shop", "db1:5432/shop", T0 + dt.timedelta(hours=1),
                    {"critical": 1, "warning": 10, "info": 0}, "0.1.0"),
            RunInfo("3", "mysql://db2:3306/crm#eu", "eu", T0, {"critical": 0, "warning": 2, "info": 5}, "")]
    text = render_runs(runs, "text")
    lines = text.splitlines()
    assert lines[0].split() == ["ID", "TARGET", "COLLECTED", "(UTC)", "CRIT", "WARN", "INFO", "DBXRAY"]
    assert lines[1].split() == ["12", "db1:5432/shop", "2025-03-01", "03:00:00", "1", "10", "0", "0.1.0"]
    assert lines[2].split() == ["3", "eu", "2025-03-01", "02:00:00", "0", "2", "5", "-"]
    warn_end = lines[0].index("WARN") + 4  # counts right-aligned under their heading
    assert lines[1].index(" 10 ") + 3 == warn_end == lines[2].index(" 2 ") + 2
    doc = json.loads(render_runs(runs, "json", store="sqlite:///h.db"))
    assert doc["store"] == "sqlite:///h.db"
    assert doc["runs"][0] == {"id": "12", "target": "db1:5432/shop", "target_key": "postgres://db1:5432/shop",
                              "collected_at": "2025-03-01T03:00:00.000000Z",
                              "findings": {"critical": 1, "warning": 10, "info": 0},
                              "dbxray_version": "0.1.0", "summary": {}}
    assert render_runs([], "text", store="runs") == "no runs in runs\n"
