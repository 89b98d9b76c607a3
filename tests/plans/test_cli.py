"""``dbxray explain`` as a user runs it (the installed console script): live, offline, malformed
input, safety of --analyze on data-changing statements, --query-id and --fail-on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DBXRAY = str(Path(sys.executable).with_name("dbxray"))


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([DBXRAY, "explain", *args], input=stdin, capture_output=True, text=True, timeout=120)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbxray: error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    return lines[0]


@pytest.fixture(scope="module")
def cli_db(pg):
    db = pg.new_database("plancli")
    pg.run(db, """CREATE EXTENSION pg_stat_statements;
        CREATE TABLE accounts (id int PRIMARY KEY, owner int, balance int);
        INSERT INTO accounts SELECT i, i % 3000, i FROM generate_series(1, 60000) i;
        CREATE TABLE audit (id serial PRIMARY KEY, account int, note text);
        INSERT INTO audit (account, note) SELECT i, 'n' || i FROM generate_series(1, 500) i;""")
    pg.run(db, "ANALYZE")
    yield pg, db
    pg.drop_database(db)


def _state(server, db: str, table: str) -> tuple:
    with server.connect(db) as conn:
        sql = f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t"
        return conn.execute(sql).fetchone()


# -- live ----------------------------------------------------------------------------------------

def test_json_report_contract_and_plan_block(cli_db):
    server, db = cli_db
    result = run("--dsn", server.dsn(db), "--analyze", "--format", "json", "SELECT * FROM accounts WHERE owner = 7")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["kind"] == "explain" and data["target"]["engine"] == "postgres"
    plan = data["plan"]
    assert plan["analyzed"] is True and plan["execution_ms"] > 0 and plan["planning_ms"] > 0
    assert plan["total_ms"] == pytest.approx(plan["execution_ms"] + plan["planning_ms"], abs=0.01)
    assert plan["hot_nodes"][0]["node_type"].endswith("Seq Scan") and plan["hot_nodes"][0]["relation"] == "accounts"
    assert "Seq Scan on public.accounts" in plan["text_tree"]
    [f] = [f for f in data["findings"] if f["check"] == "missing_index"]
    assert f["object"]["columns"] == ["owner"] and f["object"]["node_id"] == plan["hot_nodes"][0]["node_id"]


def test_text_and_markdown(cli_db):
    server, db = cli_db
    text = run("--dsn", server.dsn(db), "--analyze", "SELECT * FROM accounts WHERE owner = 7")
    assert text.returncode == 0, text.stderr
    assert "Seq Scan on public.accounts" in text.stdout and "missing_index" in text.stdout
    assert "█" in text.stdout  # the time bar of the hot node
    md = run("--dsn", server.dsn(db), "--format", "markdown", "SELECT * FROM accounts WHERE owner = 7")
    assert md.returncode == 0 and "## Plan" in md.stdout and "CREATE INDEX CONCURRENTLY ON public.accounts (owner);" \
        in md.stdout
    assert "| Seq Scan | accounts | — | — |" in md.stdout and "None" not in md.stdout  # planned only: no times


def test_output_file_and_fail_on(cli_db, tmp_path):
    server, db = cli_db
    out = tmp_path / "plan.json"
    result = run("--dsn", server.dsn(db), "--format", "json", "--output", str(out), "--fail-on", "warning",
                 "SELECT * FROM accounts WHERE owner = 7")
    assert result.returncode == 1 and "at or above warning" in result.stderr
    assert json.loads(out.read_text())["findings"]
    ok = run("--dsn", server.dsn(db), "--fail-on", "warning", "SELECT * FROM accounts WHERE id = 7")
    assert ok.returncode == 0, ok.stderr


def test_query_id_plans_the_normalized_statement_generically(cli_db):
    server, db = cli_db
    with server.connect(db) as conn:
        for owner in (1, 2, 3):
            conn.execute("SELECT * FROM accounts WHERE owner = %s", (owner,))
        qid = conn.execute("SELECT queryid FROM pg_stat_statements WHERE query LIKE %s AND dbid = "
                           "(SELECT oid FROM pg_database WHERE datname = current_database())",
                           ("SELECT * FROM accounts WHERE owner = $1%",)).fetchone()[0]
    result = run("--dsn", server.dsn(db), "--query-id", str(qid), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "$1" in data["summary"]["statement"] and data["plan"]["analyzed"] is False
    [f] = [f for f in data["findings"] if f["check"] == "missing_index"]
    assert f["object"]["query_id"] == str(qid) and f["evidence"]["rows_from"] == "estimated"
    assert "no statement with queryid 12345" in one_line_error(run("--dsn", server.dsn(db), "--query-id", "12345"))
    assert "only be planned" in one_line_error(run("--dsn", server.dsn(db), "--query-id", str(qid), "--analyze"))


# -- safety ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "DELETE FROM audit WHERE id <= 400",
    "UPDATE audit SET note = 'changed' WHERE id % 2 = 0",
    "INSERT INTO audit (account, note) SELECT account, note FROM audit",
])
def test_analyze_of_a_write_leaves_the_table_as_it_was(cli_db, statement):
    server, db = cli_db
    before = _state(server, db, "audit")
    result = run("--dsn", server.dsn(db), "--analyze", "--format", "json", statement)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    modify = data["plan"]["text_tree"].splitlines()[1]
    assert "ModifyTable" in modify and data["plan"]["analyzed"] is True  # it really ran ...
    assert any("rolled back" in n for n in data["summary"]["notes"])
    assert _state(server, db, "audit") == before  # ... and nothing of it is left


@pytest.mark.parametrize("statement", ["DELETE FROM audit", "UPDATE audit SET note = 'x'",
                                       "INSERT INTO audit (account, note) VALUES (1, 'x')"])
def test_a_write_without_analyze_is_planned_never_run(cli_db, statement):
    server, db = cli_db
    before = _state(server, db, "audit")
    result = run("--dsn", server.dsn(db), "--format", "json", statement)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["plan"]["analyzed"] is False
    assert _state(server, db, "audit") == before


def test_multiple_statements_are_refused(cli_db):
    server, db = cli_db
    line = one_line_error(run("--dsn", server.dsn(db), "--analyze", "SELECT 1; DELETE FROM audit"))
    assert "2 statements" in line
    assert _state(server, db, "audit")[0] == 500


def test_server_errors_are_one_line(cli_db):
    server, db = cli_db
    line = one_line_error(run("--dsn", server.dsn(db), "SELECT * FROM no_such_table"))
    assert 'relation "no_such_table" does not exist' in line
    line = one_line_error(run("--dsn", server.dsn(db), "--analyze", "--statement-timeout", "0.5",
                              "SELECT pg_sleep(3)"))
    assert "cancelled after 0.5 s" in line


def test_query_id_without_pg_stat_statements(pg_db):
    server, db = pg_db
    assert "CREATE EXTENSION pg_stat_statements" in one_line_error(run("--dsn", server.dsn(db), "--query-id", "1"))


def test_a_bad_dsn_is_one_line(pg):
    line = one_line_error(run("--dsn", "postgresql://nobody:secret@127.0.0.1:1/x", "SELECT 1"))
    assert "secret" not in line


# -- offline ------------------------------------------------------------------------------------------

def _saved_plan(server, db: str, options: str, sql: str) -> str:
    with server.connect(db) as conn:
        conn.execute("SET work_mem = '64kB'")
        conn.execute("SET max_parallel_workers_per_gather = 0")
        rows = conn.execute(f"EXPLAIN ({options}) {sql}").fetchall()
    if "JSON" in options:
        return json.dumps(rows[0][0], indent=2)
    return "\n".join(r[0] for r in rows)


SORT_SQL = "SELECT * FROM accounts ORDER BY balance DESC"


def test_plan_file_json_round_trip(cli_db, tmp_path):
    server, db = cli_db
    path = tmp_path / "plan.json"
    path.write_text(_saved_plan(server, db, "ANALYZE, BUFFERS, FORMAT JSON", SORT_SQL))
    result = run("--plan-file", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["target"]["source"] == "plan-file" and data["plan"]["source_format"] == "pg-json"
    assert [f["check"] for f in data["findings"]] == ["disk_sort"]
    assert data["findings"][0]["evidence"]["work_mem_from"] == "default"  # offline: no server to ask


def test_plan_file_text_format_and_stdin(cli_db, tmp_path):
    server, db = cli_db
    text = _saved_plan(server, db, "ANALYZE, BUFFERS", SORT_SQL)
    result = run("--plan-file", "-", "--format", "json", stdin=text)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["plan"]["source_format"] == "pg-text" and data["target"]["source"] == "stdin"
    assert [f["check"] for f in data["findings"]] == ["disk_sort"]


def test_plan_file_with_the_statement_text_finds_the_offset(cli_db, tmp_path):
    server, db = cli_db
    sql = "SELECT * FROM accounts ORDER BY id LIMIT 5 OFFSET 40000"
    path = tmp_path / "plan.json"
    path.write_text(_saved_plan(server, db, "FORMAT JSON", sql))
    result = run("--plan-file", str(path), "--format", "json", sql)
    assert [f["check"] for f in json.loads(result.stdout)["findings"]] == ["large_offset"]


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty plan"),
    ("   \n", "empty plan"),
    ("hello, this is not a plan", "not a plan"),
    ('{"rows": [1, 2, 3]}', "neither 'Plan'"),
    ("[1, 2]", "neither 'Plan'"),
    ('[{"Plan": {"Node Type": "Seq Scan", "Total Cost": "lots"}}]', "not a number"),
    ('[{"Plan": {"Total Cost": 1}}]', "no 'Node Type'"),
])
def test_malformed_plan_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert message in one_line_error(run("--plan-file", str(path)))


def test_truncated_plan_file(cli_db, tmp_path):
    server, db = cli_db
    full = _saved_plan(server, db, "ANALYZE, FORMAT JSON", SORT_SQL)
    path = tmp_path / "cut.json"
    path.write_text(full[: len(full) // 2])
    assert "not valid JSON (truncated?)" in one_line_error(run("--plan-file", str(path)))
    assert "does not exist" in one_line_error(run("--plan-file", str(tmp_path / "missing.json")))


def test_plan_file_needs_no_database(tmp_path, monkeypatch):
    plan = [{"Plan": {"Node Type": "Seq Scan", "Relation Name": "t", "Startup Cost": 0, "Total Cost": 10,
                      "Plan Rows": 100, "Plan Width": 4}}]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(plan))
    result = subprocess.run([DBXRAY, "explain", "--plan-file", str(path)], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "PGHOST": "203.0.113.1"}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Seq Scan on t" in result.stdout and "not executed" in result.stdout


def test_exactly_one_input_is_required():
    assert "exactly one" in one_line_error(run())
    assert "exactly one" in one_line_error(run("--plan-file", "x.json", "--query-id", "1"))
