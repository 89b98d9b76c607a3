"""Stores that cannot be used: one clear line each (a DbxrayError, never a traceback or a password),
and whatever was already stored is still there afterwards."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import psycopg
import pytest

from dbxray.demo.sandbox import free_port
from dbxray.errors import BadInput, ConnectionFailed, DbxrayError
from dbxray.store import (
    RunNotFound,
    StoreReadOnly,
    StoreTooNew,
    StoreUnavailable,
    open_store,
    previous_snapshot,
    snapshot_target,
)
from tests.store.helpers import T0, counts, make_snapshot, probe_store


def one_line(exc: BaseException) -> str:
    message = str(exc)
    assert isinstance(exc, DbxrayError), type(exc)
    assert message and "\n" not in message and "Traceback" not in message
    return message


def save(store, snap):
    key, label = snapshot_target(snap, port=5432)
    return store.save_run(key, label, snap.collected_at, snap.to_bytes(), counts("warning"))


# -- unreachable ---------------------------------------------------------------------------------------
def test_an_unreachable_postgresql_store_is_one_line_without_the_password():
    url = f"postgresql://dbx:s3cret-pw@127.0.0.1:{free_port()}/fleet"
    with pytest.raises(StoreUnavailable) as err:
        open_store(url)
    message = one_line(err.value)
    assert isinstance(err.value, ConnectionFailed)
    assert "connection refused" in message and "127.0.0.1" in message
    assert "s3cret-pw" not in message


def test_a_postgresql_store_with_a_wrong_password_does_not_echo_it(pg):
    name = pg.new_database("store")
    try:
        url = pg.dsn(name, user="nobody_here", password="pw-9f8e")
        with pytest.raises(DbxrayError) as err:
            open_store(url)
        assert "pw-9f8e" not in one_line(err.value)
    finally:
        pg.drop_database(name)


# -- read-only -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("file_mode, dir_mode", [(0o444, 0o555), (0o444, 0o755), (0o666, 0o555)],
                         ids=["both-read-only", "file-read-only", "directory-read-only"])
def test_a_read_only_sqlite_store_refuses_to_save_but_still_lists(shared_tmp, file_mode, dir_mode):
    """A directory we cannot write is read-only too: WAL mode must create files beside the database."""
    db = shared_tmp / "history.db"
    with open_store(f"sqlite:///{db}") as store:
        save(store, make_snapshot(T0, tag="kept"))
    db.chmod(file_mode)
    shared_tmp.chmod(dir_mode)
    out = probe_store(f"sqlite:///{db}", str(shared_tmp))
    kind, message = out["write"]
    assert kind == "StoreReadOnly" and "read-only" in message and "\n" not in message, message
    assert out["loaded"] == "kept"  # dbxray history / diff still work on a store we may only read
    shared_tmp.chmod(0o755)
    assert sorted(p.name for p in shared_tmp.iterdir()) == ["history.db"]
    with open_store(f"sqlite:///{db}", readonly=True) as store:
        assert [store.load_snapshot(r.id).meta["tag"] for r in store.runs()] == ["kept"]


def test_a_read_only_directory_store_refuses_to_save_but_still_lists(shared_tmp):
    runs = shared_tmp / "runs"
    with open_store(runs) as store:
        save(store, make_snapshot(T0, tag="kept"))
    before = sorted(p.name for p in runs.iterdir())
    runs.chmod(0o555)
    out = probe_store(str(runs), str(shared_tmp))
    kind, message = out["write"]
    assert kind == "StoreReadOnly" and "read-only" in message and "\n" not in message
    assert out["loaded"] == "kept"
    assert sorted(p.name for p in runs.iterdir()) == before


def test_a_postgresql_store_the_user_may_only_read(pg):
    name = pg.new_database("store")
    try:
        with open_store(pg.dsn(name)) as store:
            save(store, make_snapshot(T0, tag="kept"))
        pg.run(name, """
            CREATE ROLE store_reader LOGIN;
            GRANT USAGE ON SCHEMA dbxray TO store_reader;
            GRANT SELECT ON ALL TABLES IN SCHEMA dbxray TO store_reader;
        """)
        reader = pg.dsn(name, user="store_reader")
        with pytest.raises(StoreReadOnly) as err:
            open_store(reader)  # fails at open: before a report spends minutes collecting
        assert "GRANT INSERT" in one_line(err.value)
        with open_store(reader, readonly=True) as store:
            assert [store.load_snapshot(r.id).meta["tag"] for r in store.runs()] == ["kept"]
    finally:
        pg.drop_database(name)
        pg.run("postgres", "DROP ROLE IF EXISTS store_reader")


def test_a_postgresql_store_that_is_read_only_like_a_standby(pg):
    name = pg.new_database("store")
    try:
        with open_store(pg.dsn(name)) as store:
            save(store, make_snapshot(T0, tag="kept"))
        pg.run("postgres", f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        with pytest.raises(StoreReadOnly) as err:
            open_store(pg.dsn(name))
        assert "read-only" in one_line(err.value)
        with open_store(pg.dsn(name), readonly=True) as store:
            assert len(store.runs()) == 1
    finally:
        pg.drop_database(name)


# -- newer schema --------------------------------------------------------------------------------------
def stamp_newer(kind: str, url: str) -> None:
    if kind == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("INSERT INTO schema_version VALUES (99, '2030-01-01', '9.0.0')")
    elif kind == "postgres":
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO dbxray.schema_version (version, dbxray_version) VALUES (99, '9.0.0')")
    else:
        Path(url, "dbxray-store.json").write_text(json.dumps({"format": "dbxray-history", "layout_version": 99}))


def test_a_store_from_a_newer_dbxray_is_refused_untouched(store_url, request):
    kind = request.node.callspec.params["store_url"]
    with open_store(store_url) as store:
        run_id = save(store, make_snapshot(T0, tag="kept"))
    stamp_newer(kind, store_url)
    for readonly in (False, True):
        with pytest.raises(StoreTooNew) as err:
            open_store(store_url, readonly=readonly)
        message = one_line(err.value)
        assert "99" in message and "upgrade dbxray" in message
    # what the newer dbxray wrote is intact: undo the stamp and read it back
    if kind == "sqlite":
        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as conn:
            conn.execute("DELETE FROM schema_version WHERE version = 99")
    elif kind == "postgres":
        with psycopg.connect(store_url, autocommit=True) as conn:
            conn.execute("DELETE FROM dbxray.schema_version WHERE version = 99")
    else:
        Path(store_url, "dbxray-store.json").unlink()
    with open_store(store_url) as store:
        assert store.load_snapshot(run_id).meta["tag"] == "kept"


# -- damaged runs --------------------------------------------------------------------------------------
def damage(kind: str, url: str, run_id: str) -> None:
    garbage = b"\x1f\x8b\x08\x00truncated"
    if kind == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("UPDATE snapshots SET data = ? WHERE run_id = ?", (garbage, int(run_id)))
    elif kind == "postgres":
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE dbxray.snapshots SET data = %s WHERE run_id = %s", (garbage, int(run_id)))
    else:
        Path(url, f"{run_id}.json.gz").write_bytes(garbage)


def test_a_damaged_run_is_one_line_and_tonight_compares_with_the_run_before(store_url, request):
    kind = request.node.callspec.params["store_url"]
    with open_store(store_url) as store:
        ids = [save(store, make_snapshot(T0 + dt.timedelta(hours=i), tag=f"r{i}")) for i in range(3)]
    damage(kind, store_url, ids[2])
    with open_store(store_url) as store:
        assert [r.id for r in store.runs()] == ids[::-1]  # the listing never needed the snapshot
        with pytest.raises(BadInput) as err:
            store.load_snapshot(ids[2])
        message = one_line(err.value)
        assert "not a dbxray snapshot" in message and ids[2] in message
        skipped: list[str] = []
        key, _ = snapshot_target(make_snapshot(T0), port=5432)
        info, snap = previous_snapshot(store, key, T0 + dt.timedelta(days=1), skipped)
        assert info.id == ids[1] and snap.meta["tag"] == "r1" and skipped == [ids[2]]
        assert store.load_snapshot(ids[0]).meta["tag"] == "r0"
        assert len(store.runs()) == 3  # the damaged run is left for a human to look at


def test_a_damaged_snapshot_file_from_an_older_dbxray_is_skipped_and_kept(tmp_path):
    runs = tmp_path / "runs"
    with open_store(runs) as store:
        good = save(store, make_snapshot(T0, tag="good"))
    bad = runs / "dbxray-db1-shop-20250301T030000000000Z.json.gz"
    bad.write_bytes(b"not gzip at all")
    with open_store(runs) as store:
        assert [r.id for r in store.runs()] == [good]
        assert [r.id for r in store.runs()] == [good]  # remembered as damaged, not retried
    assert bad.read_bytes() == b"not gzip at all"


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path):
    path = tmp_path / "history.db"
    path.write_bytes(b"these are somebody's notes, not a database" * 100)
    for readonly in (False, True):
        with pytest.raises(StoreUnavailable) as err:
            open_store(f"sqlite:///{path}", readonly=readonly)
        assert "not a readable SQLite database" in one_line(err.value)
    assert path.read_bytes() == b"these are somebody's notes, not a database" * 100


def test_another_applications_sqlite_database_is_not_taken_over(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id int)")
    with pytest.raises(StoreUnavailable) as err:
        open_store(f"sqlite:///{path}")
    assert "not a dbxray history store" in one_line(err.value)
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables == ["customers"]


def test_listing_a_store_that_does_not_exist_creates_nothing(tmp_path, pg):
    for url in (str(tmp_path / "nothing"), f"sqlite:///{tmp_path / 'nothing.db'}"):
        with pytest.raises(StoreUnavailable) as err:
            open_store(url, readonly=True)
        assert "no history store" in one_line(err.value)
    assert list(tmp_path.iterdir()) == []
    name = pg.new_database("store")
    try:
        with pytest.raises(StoreUnavailable) as err:
            open_store(pg.dsn(name), readonly=True)
        assert "no dbxray history store" in one_line(err.value)
        with pg.connect(name) as conn:
            assert conn.execute("SELECT to_regnamespace('dbxray')").fetchone()[0] is None
    finally:
        pg.drop_database(name)


@pytest.mark.parametrize("url, expected", [
    ("mysql://root:pw@db/x", "unsupported history store"),
    ("sqlite://", "in-memory"),
    ("sqlite:///:memory:", "in-memory"),
    ("", "needs a directory"),
])
def test_store_urls_dbxray_cannot_use(url, expected):
    with pytest.raises(BadInput) as err:
        open_store(url)
    message = one_line(err.value)
    assert expected in message and "pw@" not in message


def test_paths_of_the_wrong_kind(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("hello")
    with pytest.raises(StoreUnavailable, match="is a file, not a directory"):
        open_store(note)
    with pytest.raises(StoreUnavailable, match="is a directory"):
        open_store(f"sqlite:///{tmp_path}")
    assert note.read_text() == "hello"


def test_a_read_only_open_cannot_save(store_url):
    with open_store(store_url) as store:
        save(store, make_snapshot(T0))
    with open_store(store_url, readonly=True) as store:
        with pytest.raises((StoreReadOnly, RunNotFound)) as err:
            save(store, make_snapshot(T0 + dt.timedelta(hours=1)))
        one_line(err.value)
        assert len(store.runs()) == 1


def test_the_documented_grants_are_enough_to_save_and_prune(pg):
    """docs/history-store.md: USAGE on the schema, SELECT on its tables, INSERT (DELETE to prune) on two."""
    name = pg.new_database("store")
    try:
        with open_store(pg.dsn(name)):
            pass  # created by the owner
        pg.run(name, """
            CREATE ROLE store_runner LOGIN;
            GRANT USAGE ON SCHEMA dbxray TO store_runner;
            GRANT SELECT ON ALL TABLES IN SCHEMA dbxray TO store_runner;
            GRANT INSERT, DELETE ON dbxray.runs, dbxray.snapshots TO store_runner;
        """)
        with open_store(pg.dsn(name, user="store_runner")) as store:
            old = save(store, make_snapshot(T0, tag="old"))
            new = save(store, make_snapshot(T0 + dt.timedelta(days=10), tag="new"))
            assert store.prune(keep_days=5, now=T0 + dt.timedelta(days=11)) == 1
            assert [r.id for r in store.runs()] == [new] and old != new
    finally:
        pg.drop_database(name)
        pg.run("postgres", "DROP ROLE IF EXISTS store_runner")
