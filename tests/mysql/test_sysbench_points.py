"""Point lookups by a list of values (``WHERE k IN (?, ?, …)``) from the real ``sysbench`` client
(``select_random_points``), on a column whose index was dropped: MariaDB normalizes the list to
``IN (...)`` in the digest; the advisor reads it as an equality on ``k`` and proposes the index. With the
index in place the same workload yields no index finding (near miss).

``--db-ps-mode=disable``: with sysbench's default (server-side prepared statements) MariaDB records no
digests at all (tests/fixtures/mariadb/sysbench_digests_ps_mode_auto.tsv).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.mysql.servers import MyServer, findings, report

pytestmark = pytest.mark.skipif(shutil.which("sysbench") is None,
                                reason="sysbench is not installed (apt-get install sysbench; scripts/setup.sh does)")


def _sysbench(my: MyServer, db: str, *args: str) -> str:
    cmd = ["sysbench", "select_random_points", "--db-driver=mysql", f"--mysql-host={my.host}",
           f"--mysql-port={my.port}", f"--mysql-user={my.user}", f"--mysql-db={db}", "--tables=1",
           "--table-size=20000", *args]
    if my.password:
        cmd.insert(5, f"--mysql-password={my.password}")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr or out.stdout
    return out.stdout


def _prepare(my: MyServer, db: str) -> None:
    _sysbench(my, db, "prepare")


def _workload(my: MyServer, db: str) -> None:
    out = _sysbench(my, db, "--threads=1", "--time=4", "--report-interval=0", "--db-ps-mode=disable", "run")
    assert "queries:" in out


def test_sysbench_select_random_points_without_the_k_index(my_db):
    my, db = my_db
    _prepare(my, db)
    my.run(db, "ALTER TABLE sbtest1 DROP INDEX k_1")
    _workload(my, db)
    rep = report(my.dsn(db))
    stmts = rep.to_dict()["summary"]["statements"]
    points = [s for s in stmts if s["query"].endswith("WHERE `k` IN (...)")]
    assert len(points) == 1 and points[0]["calls"] > 0, [s["query"] for s in stmts]
    (f,) = findings(rep, "missing_index", table="sbtest1")
    assert f.object["columns"] == ["k"]
    assert f.sql == f"ALTER TABLE `{db}`.`sbtest1` ADD INDEX `ix_sbtest1_k` (`k`), ALGORITHM=INPLACE, LOCK=NONE;"
    assert [s["query"] for s in f.evidence["statements"]] == [points[0]["query"]]
    assert f.evidence["statements"][0]["rows_examined_per_call"] >= 19000  # a full scan per call


def test_sysbench_select_random_points_with_the_index_is_a_near_miss(my_db):
    my, db = my_db
    _prepare(my, db)
    _workload(my, db)
    rep = report(my.dsn(db))
    assert [s for s in rep.to_dict()["summary"]["statements"] if s["query"].endswith("WHERE `k` IN (...)")]
    assert not findings(rep, "missing_index", table="sbtest1")
    assert not findings(rep, "full_table_scan")
