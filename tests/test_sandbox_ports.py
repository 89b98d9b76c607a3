"""Throwaway servers on a port that was free when picked and taken before the server could bind it
(another test server, a client socket, something of the user's during ``dbxray demo``): a picked port
is picked again; a port the caller gave is one clear error; nothing is left behind either way."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from dbxray.demo import sandbox
from dbxray.demo.sandbox import PostgresSandbox, SandboxError, find_postgres_bindir
from tests.support.mariadb import MariaDBSandbox, find_mariadb_binaries

needs_pg = pytest.mark.skipif(find_postgres_bindir() is None, reason="no PostgreSQL server binaries here")
needs_mariadb = pytest.mark.skipif(find_mariadb_binaries() is None, reason="no MariaDB server binaries here")


@pytest.fixture
def taken():
    """A loopback port someone is listening on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def _picks(module, monkeypatch, first: int) -> list[int]:
    """``free_port`` answers ``first`` (a taken port) once, then free ones; returns what it answered."""
    real, answered = sandbox.free_port, []

    def pick() -> int:
        answered.append(first if not answered else real())
        return answered[-1]

    monkeypatch.setattr(module, "free_port", pick)
    return answered


@needs_pg
def test_postgres_on_a_picked_port_taken_meanwhile_starts_on_another(taken, monkeypatch):
    answered = _picks(sandbox, monkeypatch, taken)
    with PostgresSandbox(preload=(), fast=True) as box:
        assert answered[0] == taken and box.port == answered[-1] != taken
        with psycopg.connect(box.dsn()) as conn:  # over TCP, on the new port
            assert conn.execute("SHOW port").fetchone()[0] == str(box.port)
        root = box.root
    assert not Path(root).exists()


@needs_pg
def test_postgres_on_a_given_port_that_is_taken_is_one_clear_error(taken):
    box = PostgresSandbox(preload=(), fast=True, port=taken)
    with pytest.raises(SandboxError, match=rf"PostgreSQL did not start on port {taken}: .*Address already in use"):
        box.start()
    assert box.root is None and not box.running  # its data directory removed


@needs_mariadb
def test_mariadb_on_a_picked_port_taken_meanwhile_starts_on_another(taken, monkeypatch):
    import tests.support.mariadb as mariadb

    answered = _picks(mariadb, monkeypatch, taken)
    with MariaDBSandbox(performance_schema=False, settings={"innodb-buffer-pool-size": "16M"}) as db:
        assert answered[0] == taken and db.port == answered[-1] != taken
        with db.admin() as conn, conn.cursor() as cur:  # over TCP, on the new port
            cur.execute("SELECT @@port")
            assert cur.fetchone()[0] == db.port
