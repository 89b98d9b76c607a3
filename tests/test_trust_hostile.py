"""Hostile input: identifiers with quotes, spaces, unicode, reserved words and 63 bytes in every kind of
schema object (and the fix SQL dbxray writes for them runs as given); fuzzed plans, most of which
must be accepted (a parser that rejected everything would pass a property test that only checks
rejections are clean); DSNs with odd characters; a 100 MB plan file (refused clearly, memory bounded).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from psycopg import sql as pgsql

from dbxray.connect import parse_target
from dbxray.errors import BadInput
from dbxray.plans.load import parse_plan_json

DBXRAY = str(Path(sys.executable).with_name("dbxray"))

# 63 bytes is PostgreSQL's NAMEDATALEN - 1: the longest name that is not truncated
LONG = ("ü" * 20 + "x" * 23)
assert len(LONG.encode()) == 63
NAMES = {
    "schema": 'Sales "EU" ünïcode',
    "table": "select",  # a reserved word
    "child": "order items; DROP TABLE x --",
    "column": "it's a \"col\"",
    "fk_column": LONG,
    "index": "idx 'dup' ✓",
    "index2": "IDX 'dup' ✓",
    "sequence": "seq\tweird",
}


def _ident(*parts: str) -> pgsql.Composable:
    return pgsql.Identifier(*parts)


@pytest.fixture(scope="module")
def hostile(pg):
    name = pg.new_database("hostile")
    n = NAMES
    with pg.connect(name) as conn:
        s = n["schema"]
        conn.execute(pgsql.SQL("CREATE SCHEMA {}").format(_ident(s)))
        conn.execute(pgsql.SQL("CREATE TABLE {} ({} int PRIMARY KEY, {} text)").format(
            _ident(s, n["table"]), _ident("id"), _ident(n["column"])))
        conn.execute(pgsql.SQL("CREATE TABLE {} ({} int REFERENCES {}, v int)").format(  # no PK, unindexed FK
            _ident(s, n["child"]), _ident(n["fk_column"]), _ident(s, n["table"])))
        conn.execute(pgsql.SQL("CREATE INDEX {} ON {} ({})").format(
            _ident(n["index"]), _ident(s, n["table"]), _ident(n["column"])))
        conn.execute(pgsql.SQL("CREATE INDEX {} ON {} ({})").format(  # a duplicate
            _ident(n["index2"]), _ident(s, n["table"]), _ident(n["column"])))
        conn.execute(pgsql.SQL("CREATE SEQUENCE {} AS integer START 2000000000").format(_ident(s, n["sequence"])))
        conn.execute("SELECT nextval(%s::regclass)", (_ident(s, n["sequence"]).as_string(conn),))
        conn.execute(pgsql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(
            _ident(s, "view " + LONG[:50]), _ident(s, n["table"])))
        conn.execute(pgsql.SQL("INSERT INTO {} SELECT g, 'v' || g FROM generate_series(1, 2000) g").format(
            _ident(s, n["table"])))
        conn.execute(pgsql.SQL("INSERT INTO {} SELECT 1 + g % 2000, g FROM generate_series(1, 2000) g").format(
            _ident(s, n["child"])))
        conn.execute("ANALYZE")
    yield pg, name
    pg.drop_database(name)


def test_every_object_kind_with_a_hostile_name_is_reported_and_its_fix_runs(hostile):
    pg, name = hostile
    result = subprocess.run([DBXRAY, "report", "--format", "json", "--allow-partial", "--dsn", pg.dsn(name)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    by_check = {}
    for f in data["findings"]:
        if f["object"].get("schema") == NAMES["schema"]:
            by_check.setdefault(f["check"], []).append(f)
    assert by_check.get("missing_primary_key") and by_check["missing_primary_key"][0]["object"]["table"] == \
        NAMES["child"]
    fk = by_check.get("missing_fk_index")
    assert fk and fk[0]["object"]["columns"] == [NAMES["fk_column"]], by_check.keys()
    dup = by_check.get("duplicate_index")
    assert dup and {dup[0]["object"]["index"], dup[0]["evidence"]["duplicate_of"]} == {NAMES["index"],
                                                                                      NAMES["index2"]}
    assert by_check.get("sequence_exhaustion"), by_check.keys()
    # the fix SQL, exactly as written, works on these names (quoting, not string pasting)
    with psycopg.connect(pg.dsn(name), autocommit=True) as conn:
        for f in (fk[0], dup[0]):
            for statement in [s for s in f["sql"].split(";\n") if s.strip() and not s.lstrip().startswith("--")]:
                conn.execute(statement)
    again = json.loads(subprocess.run([DBXRAY, "report", "--format", "json", "--allow-partial", "--dsn",
                                       pg.dsn(name)], capture_output=True, text=True, timeout=300).stdout)
    left = {f["check"] for f in again["findings"] if f["object"].get("schema") == NAMES["schema"]}
    assert "missing_fk_index" not in left and "duplicate_index" not in left


def test_database_and_user_names_with_odd_characters_in_the_dsn(pg):
    """A database named with spaces, quotes, unicode, '@', '/', '?' and '#', in a URL (percent-encoded)
    and in a libpq key=value DSN: the report runs and names it right."""
    odd = "shop @/?#% 'ü' db"
    with pg.connect() as conn:
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(_ident(odd)))
    try:
        base = psycopg.conninfo.conninfo_to_dict(pg.admin_dsn)
        url = f"postgresql://{quote('postgres', safe='')}:{quote('p@ss:/?#w%rd', safe='')}@" \
              f"{base.get('host', '127.0.0.1')}:{base.get('port', 5432)}/{quote(odd, safe='')}"
        kv = psycopg.conninfo.make_conninfo(host=base.get("host", "127.0.0.1"), port=str(base.get("port", 5432)),
                                            user="postgres", dbname=odd, password="p@ss w'rd")
        for dsn in (url, kv):
            assert parse_target(dsn).database == odd
            result = subprocess.run([DBXRAY, "report", "--format", "json", "--allow-partial", "--dsn", dsn],
                                    capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout)["target"]["database"] == odd
            assert "p@ss" not in result.stdout + result.stderr
    finally:
        pg.drop_database(odd)


@pytest.mark.parametrize("dsn", [
    "postgresql://user:pa ss@host:notaport/db",
    "postgresql://us%ZZer:secret-xyz@127.0.0.1:1/db",
    "mysql://root:secret-xyz@[::1:3306/db",
    "postgresql://user:secret-xyz@127.0.0.1:99999/db",
    "host=127.0.0.1 port=1 password='secret-xyz' dbname=",
    "postgresql://us er:secret-xyz pw@127.0.0.1:1/db?sslmode=bogus",
])
def test_malformed_or_unreachable_dsns_are_one_line_without_the_password(dsn):
    result = subprocess.run([DBXRAY, "report", "--connect-timeout", "2", "--dsn", dsn], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "secret-xyz" not in result.stderr and "pa ss" not in result.stderr and result.stdout == ""
    assert "pa%20ss" not in result.stderr


# -- plans ------------------------------------------------------------------------------------------

def _acceptance(strategy, wrap) -> tuple[int, int]:
    counts = [0, 0]

    @settings(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value):
        try:
            parse_plan_json(wrap(value))
            counts[0] += 1
        except BadInput:
            counts[1] += 1

    draw()
    return counts[0], counts[1]


def test_fuzzed_plans_are_mostly_accepted():
    """The property tests in tests/plans draw plans with now and then a wrongly typed value (which must be
    rejected as BadInput); most draws must still be accepted, so the analysis and the renderers are
    what gets fuzzed, not only the rejection path."""
    from tests.plans.test_properties import mysql_contents, tops

    pg_ok, pg_bad = _acceptance(tops, lambda top: [top])
    assert pg_ok >= 0.8 * (pg_ok + pg_bad), (pg_ok, pg_bad)
    my_ok, my_bad = _acceptance(mysql_contents, lambda c: {"query_block": {"select_id": 1, **c}})
    assert my_ok >= 0.9 * (my_ok + my_bad), (my_ok, my_bad)


def test_a_100_mb_plan_file_is_refused_clearly_with_bounded_memory(tmp_path):
    big = tmp_path / "huge.json"
    node = '{"Node Type": "Seq Scan", "Relation Name": "t", "Total Cost": 1.0, "Plan Rows": 1, "Plan Width": 4}'
    with big.open("w") as fh:
        fh.write('[{"Plan": {"Node Type": "Append", "Total Cost": 1.0, "Plans": [')
        chunk = ",".join([node] * 1000) + ","
        while fh.tell() < 100 * 2**20:
            fh.write(chunk)
        fh.write(node + "]}}]")
    # VmHWM: this process image's own peak (ru_maxrss would carry the forking pytest process's size
    # across fork and exec, and pytest grows over a full run)
    code = ("import sys\nfrom dbxray.cli import main\n"
            f"sys.argv = ['dbxray', 'explain', '--plan-file', {str(big)!r}]\n"
            "try:\n    main()\nfinally:\n"
            "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
            "    print('maxrss_kb', hwm, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert "larger than 64 MB" in lines[0] and "Traceback" not in result.stderr
    rss_mb = int(lines[-1].split()[1]) / 1024
    assert rss_mb < 250, f"{rss_mb:.0f} MB resident to refuse a 100 MB file"
    # stdin too, reading no more than the limit (and one byte) before refusing
    with big.open("rb") as fh:
        piped = subprocess.run([sys.executable, "-c", code.replace(repr(str(big)), "'-'")], stdin=fh,
                               capture_output=True, text=True, timeout=300)
    assert piped.returncode == 2 and "larger than 64 MB" in piped.stderr
    piped_mb = int(piped.stderr.strip().splitlines()[-1].split()[1]) / 1024
    assert piped_mb < 250, f"{piped_mb:.0f} MB resident to refuse a 100 MB plan on stdin"
