"""A fresh store of each backend: a directory, an SQLite file and a database on the throwaway
PostgreSQL server (``pg`` fixture)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

BACKENDS = ("directory", "sqlite", "postgres")


def fresh_url(kind: str, request, tmp_path: Path) -> str:
    if kind == "directory":
        return str(tmp_path / "runs")
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"  # tmp_path is absolute: sqlite:////tmp/…
    pg = request.getfixturevalue("pg")
    name = pg.new_database("store")
    request.addfinalizer(lambda: pg.drop_database(name))
    return pg.dsn(name)


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> str:
    return fresh_url(request.param, request, tmp_path)


@pytest.fixture
def shared_tmp():
    """A temporary directory another OS user can enter (pytest's tmp_path is private to us)."""
    path = Path(tempfile.mkdtemp(prefix="dbxray-store-"))
    path.chmod(0o755)
    yield path
    for root, dirs, _files in os.walk(path):  # undo the read-only modes the test set
        for d in dirs:
            os.chmod(os.path.join(root, d), stat.S_IRWXU)
    path.chmod(stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)
