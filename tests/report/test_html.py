"""The HTML report: built from a real report (a throwaway PostgreSQL through the CLI) plus a diagnosis
and a history block, checked for structure and escaping here, and in a real headless Chromium."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from dbxray.report.html import CARDS_PER_CHECK, render_html
from tests.report import chromium
from tests.report.dom import parse
from tests.servers import RESET_THIS_DATABASE

DBXRAY = str(Path(sys.executable).with_name("dbxray"))
HOSTILE_TABLE = "<script>alert('t')</script>"
HOSTILE_INDEX = "<img src=x onerror=alert(1)>"
HOSTILE_QUERY = "SELECT 1 FROM t WHERE a = '</pre></code><script>alert(2)</script>'"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([DBXRAY, *args], capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def shop(pg):
    """A database with planted problems, one table and one index named like an attack, and traffic."""
    name = pg.new_database("html")
    pg.run(name, f"""
        CREATE EXTENSION pg_stat_statements;
        CREATE TABLE customers (id int PRIMARY KEY, email text);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id), total int);
        INSERT INTO customers SELECT g, 'c' || g || '@example.org' FROM generate_series(1, 2000) g;
        INSERT INTO orders SELECT g, 1 + g % 2000, g FROM generate_series(1, 60000) g;
        CREATE INDEX orders_total_idx ON orders (total);
        CREATE INDEX orders_total_idx2 ON orders (total);
        CREATE TABLE "{HOSTILE_TABLE}" (id int, note text);
        INSERT INTO "{HOSTILE_TABLE}" SELECT g, 'n' FROM generate_series(1, 500) g;
        CREATE INDEX "{HOSTILE_INDEX}" ON "{HOSTILE_TABLE}" (id);
        CREATE INDEX hostile_dup ON "{HOSTILE_TABLE}" (id);
        ANALYZE;
    """)
    with pg.connect(name) as conn:
        conn.execute(RESET_THIS_DATABASE)
        for i in range(120):
            conn.execute("SELECT total FROM orders WHERE customer_id = %s", (i,))
        for i in range(30):
            conn.execute(f'SELECT note FROM "{HOSTILE_TABLE}" WHERE note = %s', (str(i),))
    yield pg, name
    pg.drop_database(name)


@pytest.fixture(scope="module")
def real(shop) -> dict:
    """``dbxray report --format json`` on the shop: the contract, as produced."""
    pg, name = shop
    result = cli("report", "--format", "json", "--no-progress", "--dsn", pg.dsn(name))
    assert result.returncode in (0, 4), result.stderr
    return json.loads(result.stdout)


def finding_id(f: dict) -> str:
    obj = f.get("object") or {}
    where = ".".join(str(obj[k]) for k in ("schema", "table") if k in obj) or str(
        obj.get("query_id") or obj.get("setting") or obj.get("role") or "")
    return f"{f['check']}:{where}:{','.join(map(str, obj.get('columns') or []))}:{obj.get('index', '')}"


def enrich(data: dict) -> dict:
    """The report as the lead's pipeline will shape it: finding ids, a diagnosis and a history block,
    built from the real findings, with hostile text in every place a string can reach."""
    data = copy.deepcopy(data)
    seen: dict[str, int] = {}
    for f in data["findings"]:
        fid = finding_id(f)
        seen[fid] = seen.get(fid, 0) + 1
        f["id"] = fid if seen[fid] == 1 else f"{fid}#{seen[fid]}"
    by_check: dict[str, list[dict]] = {}
    for f in data["findings"]:
        by_check.setdefault(f["check"], []).append(f)

    def ids(*checks: str, table: str | None = None) -> list[str]:
        return [f["id"] for c in checks for f in by_check.get(c, [])
                if table is None or (f.get("object") or {}).get("table") == table]

    orders = ids("missing_index", "slow_query", "missing_fk_index", "full_table_scan", table="orders") + \
        ids("slow_query")
    hostile = ids("missing_primary_key", "duplicate_index", table=HOSTILE_TABLE)
    settings = ids("setting")
    assert orders and hostile and settings, sorted(by_check)
    data["findings"][-1]["source"] = "llm"
    data["diagnosis"] = {
        "summary": "Order lookups by customer scan the whole orders table; fsync is off; and one table "
                   f"named {HOSTILE_TABLE} has no primary key.",
        "bottlenecks": [
            {"rank": 1, "kind": "statement", "title": "Order lookups by customer read all of orders",
             "object": {"schema": "public", "table": "orders", "columns": ["customer_id"]},
             "cause": "No index starts with orders.customer_id: each lookup reads 60,000 rows.",
             "impact": "Most of the statement time of this database.",
             "finding_ids": [*orders, "ghost:not.in:this:report"],
             "fix": {"sql": "CREATE INDEX CONCURRENTLY ON public.orders (customer_id);",
                     "expected": "Lookups read a few rows instead of 60,000.",
                     "risk": "Builds without blocking writes."},
             "confidence": "proven", "severity": "critical"},
            {"rank": 2, "kind": "configuration", "title": "fsync is off: a crash can corrupt the cluster",
             "object": {"setting": "fsync"}, "cause": "The test server runs with fsync = off.",
             "impact": "Data loss on power failure.", "finding_ids": settings + orders[:1],
             "fix": {"sql": None, "expected": "Durable commits.", "risk": "Writes slow down a little."},
             "confidence": "likely", "severity": "critical"},
            {"rank": 3, "kind": "outage_risk", "title": f"Table {HOSTILE_TABLE} has no primary key",
             "object": {"schema": "public", "table": HOSTILE_TABLE},
             "cause": f"</p><script>alert(3)</script> {HOSTILE_INDEX}", "impact": "Replication cannot identify rows.",
             "finding_ids": hostile,
             "fix": {"sql": f'ALTER TABLE public."{HOSTILE_TABLE}" ADD PRIMARY KEY (id);  -- takes a lock',
                     "expected": "Rows are addressable.", "risk": "<b>ACCESS EXCLUSIVE</b> lock while it builds."},
             "confidence": "possible", "severity": "warning"},
        ],
    }
    start = dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC)
    data["history"] = {
        "runs": [{"collected_at": (start + dt.timedelta(days=i)).isoformat().replace("+00:00", "Z"),
                  "total_ms": 1_800_000 + 90_000 * i + (40_000 if i % 3 else 0), "calls_per_s": 300 + 7 * i,
                  "findings": {"critical": 1 + i // 7, "warning": 5 + i % 4, "info": 3}} for i in range(14)],
        "regressions": [
            {"query_id": "111", "query": "SELECT total FROM orders WHERE customer_id = $1", "mean_ms_before": 0.4,
             "mean_ms_after": 9.8, "ratio": 24.5},
            {"query_id": "222", "query": HOSTILE_QUERY, "mean_ms_before": 2.0, "mean_ms_after": 5.0, "ratio": 2.5},
        ],
        "table_growth": [
            {"schema": "public", "table": "orders", "bytes_per_day": 48_000_000, "days_to_threshold": 12},
            {"schema": "public", "table": HOSTILE_TABLE, "bytes_per_day": 2_000_000, "days_to_threshold": None},
        ],
    }
    data["summary"]["notes"] = [*data["summary"].get("notes", []), f"note with {HOSTILE_INDEX} in it"]
    return data


@pytest.fixture(scope="module")
def full(real) -> dict:
    return enrich(real)


@pytest.fixture(scope="module")
def page(full) -> str:
    return render_html(full)


# -- structure --------------------------------------------------------------------------------------

def test_the_real_report_has_what_the_page_needs(real):
    """Guards the fixture: the planted problems, the hostile names and the statements are really there."""
    titles = " ".join(f["title"] for f in real["findings"])
    assert HOSTILE_TABLE in titles
    assert any(f["check"] == "duplicate_index" and HOSTILE_INDEX in json.dumps(f) for f in real["findings"])
    assert any(HOSTILE_TABLE in s["query"] for s in real["summary"]["statements"])
    assert any(f.get("sql") for f in real["findings"])


def test_diagnosis_comes_first_then_findings_by_bottleneck(full, page):
    doc = parse(page)
    diagnosis, findings = doc.by_id("diagnosis"), doc.by_id("findings")
    assert diagnosis is not None and findings is not None and diagnosis.order < findings.order
    first = diagnosis.find(cls="fix-first")
    assert first is not None and "Order lookups by customer read all of orders" in first.text
    assert first.find("pre", cls="sql").text == "CREATE INDEX CONCURRENTLY ON public.orders (customer_id);"
    ranked = diagnosis.find("ol", cls="ranked")
    assert [li.find("span", cls="rank").text for li in ranked.find_all("li")] == ["1", "2", "3"]

    placed: dict[str, str] = {}
    for i, b in enumerate(full["diagnosis"]["bottlenecks"], 1):
        section = doc.by_id(f"b-{i}")
        assert section is not None and findings in section.ancestors()
        shown = [n.attrs["data-finding-id"] for n in section.find_all(cls="finding")]
        expected = [fid for fid in b["finding_ids"] if fid not in placed and fid.split(":")[0] != "ghost"]
        assert shown == list(dict.fromkeys(expected)), b["title"]
        for fid in shown:
            placed[fid] = section.attrs["id"]
    # the finding that two bottlenecks cite is shown once, under the first, and linked from the second
    twice = full["diagnosis"]["bottlenecks"][1]["finding_ids"][-1]
    assert placed[twice] == "b-1"
    assert "shown under an earlier bottleneck" in doc.by_id("b-2").text

    other = findings.find("h2", cls="other")
    assert other is not None and "Other findings" in other.text
    rest = [f["id"] for f in full["findings"] if f["id"] not in placed]
    assert rest, "the fixture should leave findings outside the bottlenecks"
    every = [n.attrs["data-finding-id"] for n in doc.find_all(cls="finding") if "data-finding-id" in n.attrs]
    assert sorted(every) == sorted(f["id"] for f in full["findings"])  # each finding exactly once
    for fid in rest:
        node = next(n for n in doc.find_all(cls="finding") if n.attrs.get("data-finding-id") == fid)
        assert node.order > other.order


def test_every_fix_is_a_sql_block_and_evidence_is_collapsed(full, page):
    doc = parse(page)
    for f in full["findings"]:
        node = next(n for n in doc.find_all(cls="finding") if n.attrs.get("data-finding-id") == f["id"])
        blocks = node.find_all("pre", cls="sql")
        if f.get("sql"):
            assert [b.text for b in blocks] == [f["sql"]]  # exact text: what the copy button copies
        else:
            assert not blocks
        evidence = node.find("details", cls="evidence")
        if f.get("evidence"):
            assert evidence is not None and "open" not in evidence.attrs
    commented = [b for b in doc.find_all("pre", cls="sql") if b.find("span", cls="c")]
    assert commented, "SQL comments (undo, lock warnings) are set apart"
    ai = [f for f in full["findings"] if f.get("source") == "llm"]
    node = next(n for n in doc.find_all(cls="finding") if n.attrs.get("data-finding-id") == ai[0]["id"])
    assert node.find("span", cls="ai") is not None
    assert len(doc.find_all("span", cls="ai")) == len(ai)


def charts(doc) -> dict:
    """Chart name (its aria-label) -> element; every chart is drawn with inline SVG."""
    found = {n.attrs["aria-label"]: n for n in doc.find_all(cls="chart") if "aria-label" in n.attrs}
    for name, node in found.items():
        assert node.tag == "svg" or node.find("svg") is not None, name
    return found


def test_charts_are_inline_svg(full, page):
    found = charts(parse(page))
    for expected in ("Share of total statement time of the top statements", "Findings by check",
                     "Total statement time per run", "Calls per second per run", "Findings per run by severity",
                     "Statements whose mean time grew the most", "Fastest growing tables"):
        assert expected in found
    donut = next(n for name, n in found.items() if name.endswith("findings by severity"))
    assert len(donut.find_all("circle", cls="seg")) == sum(1 for s in ("critical", "warning", "info")
                                                           if full["summary"]["findings"][s])
    share = found["Share of total statement time of the top statements"]
    rows = share.find_all(cls="hrow")
    assert len(rows) >= 2 and all(r.find("svg").find("rect", cls="fill") is not None for r in rows)
    widths = [float(r.find("rect", cls="fill").attrs["width"]) for r in rows]
    top = min(10, len(full["summary"]["statements"]))
    assert widths[0] == 100 and widths[:top] == sorted(widths[:top], reverse=True) and min(widths) > 0
    points = found["Total statement time per run"].find("polyline").attrs["points"].split()
    assert len(points) == 14 and all(re.fullmatch(r"[\d.]+,[\d.]+", p) for p in points)


def test_nothing_is_fetched_from_anywhere(page):
    assert "http://" not in page and "https://" not in page
    doc = parse(page)
    for node in doc.iter():
        for attr in ("src", "href", "xlink:href", "action", "poster", "srcset"):
            value = node.attrs.get(attr)
            if value is not None:
                assert value.startswith(("#", "data:")), (node.tag, attr, value)
    assert not doc.find_all("link", rel="stylesheet") and not re.search(r"@import|url\(", page)
    csp = doc.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_hostile_names_are_text_not_markup(full, page):
    doc = parse(page)
    assert len(doc.find_all("script")) == 1  # ours, static, and pinned by the CSP hash
    assert not doc.find_all("img")
    assert not [(n.tag, a) for n in doc.iter() for a in n.attrs if a.startswith("on")]
    assert "<script>alert" not in page and "<img src=x" not in page and "</pre></code><script>" not in page
    text = doc.text
    for hostile in (HOSTILE_TABLE, HOSTILE_INDEX, "</p><script>alert(3)</script>"):
        assert hostile in text  # shown to the reader, as text
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in page
    # in SQL, in chart labels, in the statements table, in the regressions table
    assert any(HOSTILE_TABLE in b.text for b in doc.find_all("pre", cls="sql"))
    found = charts(doc)
    growth = found["Fastest growing tables"].find_all(cls="hrow")
    assert any(HOSTILE_TABLE in r.attrs["title"] and HOSTILE_TABLE in r.find(cls="lbl").text for r in growth)
    share = found["Share of total statement time of the top statements"]
    assert any(HOSTILE_TABLE in r.find(cls="lbl").text for r in share.find_all(cls="hrow"))
    assert HOSTILE_QUERY in doc.by_id("trends").text


def test_banners_notes_collectors_and_target(real):
    data = copy.deepcopy(real)
    data["summary"]["incomplete"] = ["pg_stat_statements is not installed: no statement statistics",
                                     "collector `locks` cut off by the statement timeout"]
    data["collection"]["collectors"].append({"name": "locks", "status": "timeout", "duration_ms": 30000.0,
                                             "detail": "canceling statement due to statement timeout"})
    data["collection"]["check_errors"] = [{"check": "table_bloat", "detail": "ZeroDivisionError"}]
    data["target"]["host"] = "postgresql://monitor:hunter2@db.internal:5432/shop"
    data["target"]["password"] = "hunter2"
    doc = parse(render_html(data))
    banner = doc.find("section", cls="bad")
    assert banner is not None and "This report is partial" in banner.text and banner.order < doc.by_id("findings").order
    assert "no statement statistics" in banner.text and banner.find("code").text == "locks"
    assert "table_bloat" in doc.text and "1 check failed" in doc.text
    collectors = doc.by_id("collection").find("details")
    assert "open" not in collectors.attrs
    assert "1 timeout" in collectors.find("summary").text
    assert collectors.find("tr", cls="st-timeout") is not None
    assert "hunter2" not in doc.text and "monitor:***@db.internal" in doc.find("h1").text
    statements = doc.by_id("statements").find("tbody").find_all("tr")
    assert len(statements) == len(real["summary"]["statements"])


def test_interval_and_changes_since_the_last_run(real):
    data = copy.deepcopy(real)
    data["summary"]["interval"] = {"from": "2026-11-29T06:00:00+00:00", "to": "2026-11-30T06:00:00+00:00",
                                   "seconds": 86400.0}
    new = {"check": "missing_primary_key", "severity": "warning", "title": f"Table {HOSTILE_TABLE} has no primary key",
           "object": {"schema": "public", "table": HOSTILE_TABLE}}
    gone = {"check": "unused_index", "severity": "info", "title": "Index old_idx on orders has never been used",
            "object": {"schema": "public", "table": "orders", "index": "old_idx"}}
    data["summary"]["changes"] = {"since": "2026-11-29T06:00:00+00:00", "new": [new], "resolved": [gone],
                                  "unchanged": 7}
    doc = parse(render_html(data))
    assert "statements over 2026-11-29 06:00 UTC → 2026-11-30 06:00 UTC" in doc.find("p", cls="meta").text
    assert any(k.find(cls="label").text == "Interval" and "1.0 days" in k.text for k in doc.find_all(cls="kpi"))
    changes = doc.by_id("changes")
    assert "1 new, 1 resolved, 7 unchanged." in changes.text
    assert [li.attrs["class"] for li in changes.find_all("li")] == ["new", "resolved"]
    assert HOSTILE_TABLE in changes.find("li", cls="new").text


def test_the_report_as_the_cli_makes_it(real):
    """The CLI's own JSON, whatever it carries (a diagnosis once the advisor is in): every bottleneck gets a
    section, every finding shows exactly once."""
    doc = parse(render_html(real))
    bottlenecks = (real.get("diagnosis") or {}).get("bottlenecks") or []
    assert all(doc.by_id(f"b-{i}") is not None for i in range(1, len(bottlenecks) + 1))
    assert (doc.by_id("diagnosis") is not None) == bool(real.get("diagnosis"))
    shown = doc.find_all(cls="finding")
    assert len(shown) == len(real["findings"])
    if all("id" in f for f in real["findings"]):
        assert sorted(n.attrs["data-finding-id"] for n in shown) == sorted(f["id"] for f in real["findings"])


def test_an_old_report_renders_without_the_new_blocks(real):
    """No ids, no diagnosis, no history: one "Findings" list by severity, nothing empty around it."""
    real = copy.deepcopy(real)
    for key in ("diagnosis", "history"):
        real.pop(key, None)
    for f in real["findings"]:
        f.pop("id", None)
    doc = parse(render_html(real))
    assert doc.by_id("diagnosis") is None and doc.by_id("trends") is None
    heading = doc.by_id("findings").find("h2")
    assert heading.text.startswith("Findings") and doc.find("h2", cls="other") is None
    groups = [s.attrs["id"] for s in doc.find_all("section", cls="sev-group")]
    assert groups == [f"sev-{s}" for s in ("critical", "warning", "info")
                      if any(f["severity"] == s for f in real["findings"])]
    assert len(doc.find_all("article", cls="finding")) == len(real["findings"])
    empty = copy.deepcopy(real)
    empty["findings"] = []
    assert "No findings" in parse(render_html(empty)).by_id("findings").text


def test_a_diagnosis_only_brief(full):
    """``--diagnosis-only`` keeps the counts and the bottlenecks, not the findings: no empty findings list."""
    brief = {k: full[k] for k in ("schema_version", "tool", "kind", "target", "collected_at")}
    brief["summary"] = {k: full["summary"][k] for k in ("findings", "incomplete")}
    brief["diagnosis"] = full["diagnosis"]
    doc = parse(render_html(brief))
    counts = {a.find("b").text for a in doc.find_all("a", cls="count")}
    assert counts == {str(full["summary"]["findings"][s]) for s in ("critical", "warning", "info")}
    assert doc.by_id("b-3") is not None and not doc.find_all(cls="finding")
    assert "No findings" not in doc.text and doc.find("h2", cls="other") is None
    assert "The bottlenecks" in doc.by_id("findings").find("h2").text


def test_bottleneck_score_is_drawn_relative_to_the_largest(full):
    data = copy.deepcopy(full)
    for b, score in zip(data["diagnosis"]["bottlenecks"], (40.0, 10.0, 20.0)):
        b["score"] = score
    ranked = parse(render_html(data)).find("ol", cls="ranked")
    widths = [float(li.find("rect", cls="fill").attrs["width"]) for li in ranked.find_all("li")]
    assert widths == [100, 25, 50]


def test_missing_history_pieces_simply_do_not_render(full):
    for keep, present, absent in (
        ("regressions", ["Statements whose mean time grew the most"], ["Total statement time per run"]),
        ("table_growth", ["Fastest growing tables"], ["Findings per run by severity"]),
        ("runs", ["Total statement time per run", "Findings per run by severity"], ["Fastest growing tables"]),
    ):
        data = copy.deepcopy(full)
        data["history"] = {keep: full["history"][keep]}
        labels = set(charts(parse(render_html(data)).by_id("trends")))
        assert set(present) <= labels and not set(absent) & labels, keep
    data = copy.deepcopy(full)
    data["history"] = {"runs": [{"collected_at": "2026-11-01T00:00:00Z", "calls_per_s": 12.5}]}  # one run, one series
    trends = parse(render_html(data)).by_id("trends")
    assert set(charts(trends)) == {"Calls per second per run"}
    data["history"] = {"runs": [], "regressions": [], "table_growth": []}
    assert parse(render_html(data)).by_id("trends") is None


def test_many_findings_of_one_check_stay_compact(full):
    data = copy.deepcopy(full)
    del data["diagnosis"]
    template = next(f for f in data["findings"] if f.get("sql"))
    data["findings"] = [{**template, "severity": "warning", "id": f"bulk:{i}", "title": f"bulk {i}"}
                        for i in range(300)]
    doc = parse(render_html(data))
    assert len(doc.find_all("article", cls="finding")) == CARDS_PER_CHECK
    rows = doc.find_all("tr", cls="finding-row")
    assert len(rows) == 300 - CARDS_PER_CHECK and rows[-1].attrs["data-finding-id"] == "bulk:299"
    assert rows[0].find("pre", cls="sql").text == template["sql"]


def test_explain_plan_block_renders():
    data = {"schema_version": "1.0", "tool": {"name": "dbxray", "version": "0.1.0"}, "kind": "explain",
            "target": {"engine": "postgres", "source": "plan file", "file": "slow.json"},
            "collected_at": "2026-11-30T10:00:00Z", "collection": {},
            "summary": {"findings": {"critical": 0, "warning": 0, "info": 0}, "notes": [], "incomplete": []},
            "findings": [],
            "plan": {"total_ms": 812.5, "planning_ms": 0.4, "execution_ms": 812.1, "total_cost": 18234.2,
                     "hot_nodes": [{"node_id": 3, "node_type": "Seq Scan", "relation": "orders", "self_ms": 790.0,
                                    "self_pct": 97.2}],
                     "text_tree": "Limit\n  -> Sort\n       -> Seq Scan on orders"}}
    doc = parse(render_html(data))
    plan = doc.by_id("plan")
    assert plan is not None and "Seq Scan on orders" in plan.find("pre", cls="tree").text
    assert doc.find("h1").text == "slow.json" and "postgres plan, offline" in doc.find("p", cls="meta").text
    assert "total 812 ms" in plan.find("p", cls="facts").text and doc.by_id("collection") is None
    assert "Plan nodes by self time" in charts(doc)


def test_mysql_report_shows_rows_examined():
    """Engine-agnostic: a MariaDB report's digests (backtick-quoted) and rows examined per call."""
    data = {"schema_version": "1.0", "tool": {"name": "dbxray", "version": "0.1.0"}, "kind": "report",
            "target": {"engine": "mysql", "flavor": "mariadb", "server_version": "10.11.6", "database": "shop",
                       "host": "db"},
            "collected_at": "2026-11-30T10:00:00Z", "collection": {"duration_ms": 80.0, "collectors": []},
            "summary": {"findings": {"critical": 0, "warning": 1, "info": 0}, "notes": [], "incomplete": [],
                        "statements": [{"query_id": "9f1c", "query": "SELECT * FROM `orders` WHERE `customer_id` = ?",
                                        "calls": 1200, "total_ms": 5400.0, "share_pct": 61.0, "mean_ms": 4.5,
                                        "rows_per_call": 3.0, "rows_examined_per_call": 200000.0}]},
            "findings": [{"check": "full_table_scan", "severity": "warning", "title": "orders is scanned in full",
                          "object": {"schema": "shop", "table": "orders"}, "evidence": {"rows": 200000},
                          "recommendation": "Index `orders`.`customer_id`.",
                          "sql": "ALTER TABLE `shop`.`orders` ADD INDEX (`customer_id`);", "source": "rules"}]}
    doc = parse(render_html(data))
    head = [th.text for th in doc.by_id("statements").find_all("th")]
    assert "examined/call" in head
    assert "200,000" in doc.by_id("statements").text and "mariadb 10.11.6" in doc.find("p", cls="meta").text
    assert doc.find("pre", cls="sql").text == "ALTER TABLE `shop`.`orders` ADD INDEX (`customer_id`);"
    assert [c.text for c in doc.find("p", cls="rec").find_all("code")] == ["orders", "customer_id"]


def test_cli_writes_the_html_report(shop, tmp_path):
    pg, name = shop
    out = tmp_path / "report.html"
    result = cli("report", "--format", "html", "-o", str(out), "--no-progress", "--dsn", pg.dsn(name))
    assert result.returncode in (0, 4), result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    doc = parse(html)
    assert doc.find("h1").text.startswith(name) and doc.by_id("statements") is not None
    assert "&lt;script&gt;" in html and "<script>alert" not in html


# -- in a real browser ------------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(not chromium.available(),
                                    reason=f"no Chromium at {chromium.CHROMIUM} (scripts/setup.sh installs it)")


@pytest.fixture(scope="module")
def browser():
    if not chromium.available():
        pytest.skip(f"no Chromium at {chromium.CHROMIUM} (scripts/setup.sh installs it)")
    with chromium.Chromium() as b:
        yield b


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def keep_screenshot(path: Path) -> None:
    """Copy a screenshot (and its page, when beside it) to $DBXRAY_SCREENSHOTS when set, to look at later."""
    target = os.environ.get("DBXRAY_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for keep in (path, path.with_suffix(".html")):
            if keep.exists():
                shutil.copy(keep, Path(target) / keep.name)


@needs_chromium
def test_the_browser_check_sees_errors_and_requests(browser, tmp_path):
    """The detection itself: a page with a planted error, a console error and a remote image is caught."""
    planted = tmp_path / "planted.html"
    planted.write_text("<!DOCTYPE html><title>planted</title><p>x</p>"
                       "<script>console.error('planted console error'); window.noSuchFunction();</script>"
                       "<img src='http://example.invalid/pixel.png'>", encoding="utf-8")
    run = browser.load(planted, screenshot=False)
    assert any("noSuchFunction" in e for e in run.exceptions), run
    assert any("planted console error" in e for e in run.console_errors), run
    assert "http://example.invalid/pixel.png" in run.foreign_requests


@needs_chromium
def test_the_page_policy_stops_an_injected_script(browser, page, tmp_path):
    """Were escaping ever to fail, the Content-Security-Policy still would not run the injected script."""
    hacked = tmp_path / "hacked.html"
    hacked.write_text(page.replace("</main>", "<script>document.title = 'pwned';</script></main>"), encoding="utf-8")
    run = browser.load(hacked, {"title": "document.title", "copy": "document.querySelectorAll('button.copy').length"},
                       screenshot=False)
    assert run.values["title"] != "pwned" and run.values["copy"] > 0  # ours ran, theirs did not
    assert any("Content Security Policy" in e for e in run.log_errors + run.console_errors), run.errors


@needs_chromium
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_report_in_chromium(browser, full, page, tmp_path, scheme):
    path = tmp_path / f"dbxray-report-{scheme}.html"
    path.write_text(page, encoding="utf-8")
    probes = {
        "title": "document.title",
        "sql_blocks": "document.querySelectorAll('pre.sql').length",
        "copy_buttons": "document.querySelectorAll('button.copy').length",
        "charts": "document.querySelectorAll('.chart[aria-label]').length",
        "bars_drawn": "Array.from(document.querySelectorAll('.chart svg.bar rect.fill'))"
                      ".filter(r => r.getBoundingClientRect().width > 0).length",
        "diagnosis_first": "!!(document.getElementById('diagnosis').compareDocumentPosition("
                           "document.getElementById('findings')) & Node.DOCUMENT_POSITION_FOLLOWING)",
        "background": "getComputedStyle(document.body).backgroundColor",
        "overflowing": "document.documentElement.scrollWidth > document.documentElement.clientWidth",
        "opened_by_link": """(async () => {
            const folded = document.querySelector('details.finding.folded');
            location.hash = folded.id;
            await new Promise(r => setTimeout(r, 100));
            return folded.open;
        })()""",
    }
    run = browser.load(path, probes, dark=scheme == "dark")
    assert run.errors == [], run.errors
    assert run.foreign_requests == [], run.requests
    v = run.values
    assert v["title"].startswith(full["target"]["database"])
    assert v["sql_blocks"] > 0 and v["copy_buttons"] == v["sql_blocks"]
    assert v["charts"] >= 8 and v["bars_drawn"] >= 4 and v["diagnosis_first"]
    assert v["opened_by_link"] is True
    assert not v["overflowing"]
    dark = v["background"] in ("rgb(14, 17, 22)",)
    assert dark == (scheme == "dark"), v["background"]
    shot = tmp_path / f"dbxray-report-{scheme}.png"
    shot.write_bytes(run.screenshot)
    width, height = png_size(run.screenshot)
    assert width == 1280 and height > 3000 and len(run.screenshot) > 100_000
    keep_screenshot(shot)


@needs_chromium
def test_copy_puts_the_exact_sql_on_the_clipboard(browser, full, page, tmp_path):
    """A person's click on Copy: the clipboard then holds the fix, comments and quoting intact."""
    path = tmp_path / "copy.html"
    path.write_text(page, encoding="utf-8")
    hostile_fix = full["diagnosis"]["bottlenecks"][2]["fix"]["sql"]
    selector = "#b-3 > .fix .sql-block button.copy"
    run = browser.load(path, screenshot=False, clipboard=True, clicks=(selector,), evaluate={
        "label": f"document.querySelector({json.dumps(selector)}).textContent",
        "clipboard": "navigator.clipboard.readText()",
    })
    assert run.errors == []
    assert run.values["label"] == "Copied" and run.values["clipboard"] == hostile_fix
    # without clipboard access (e.g. a locked-down viewer) the text is selected for Ctrl+C instead
    run = browser.load(path, screenshot=False, clicks=(selector,), evaluate={
        "label": f"document.querySelector({json.dumps(selector)}).textContent",
        "selected": "String(window.getSelection())",
    })
    assert run.errors == []
    assert run.values["label"] in ("Copied", "Press Ctrl+C")
    if run.values["label"] == "Press Ctrl+C":
        assert run.values["selected"] == hostile_fix


@needs_chromium
def test_the_report_prints(browser, page, tmp_path):
    """Printing (to PDF) opens every collapsed section and raises no error."""
    path = tmp_path / "print.html"
    path.write_text(page, encoding="utf-8")
    watch = ("window.closedWhilePrinting = -1; addEventListener('beforeprint', () => "
             "{ window.closedWhilePrinting = document.querySelectorAll('details:not([open])').length; }); true")
    run = browser.load(path, screenshot=False, pdf=True, prepare={"watch": watch},
                       evaluate={"closed_while_printing": "window.closedWhilePrinting",
                                 "open_after": "document.querySelectorAll('details[open]').length"})
    assert run.errors == [] and run.foreign_requests == []
    assert run.pdf.startswith(b"%PDF") and len(run.pdf) > 50_000
    assert run.values["closed_while_printing"] == 0  # everything was open on paper
    assert run.values["open_after"] == 0  # and closed again on screen


@needs_chromium
def test_narrow_screen(browser, page, tmp_path):
    path = tmp_path / "narrow.html"
    path.write_text(page, encoding="utf-8")
    run = browser.load(path, {"overflowing": "document.documentElement.scrollWidth > "
                                             "document.documentElement.clientWidth"}, width=420)
    assert run.errors == [] and not run.values["overflowing"]
    shot = tmp_path / "dbxray-report-narrow.png"
    shot.write_bytes(run.screenshot)
    keep_screenshot(shot)
