"""The EXPLAIN of today's plan as evidence, and the advisor's entry point ``advise_mysql``."""

from __future__ import annotations

from typing import Any

from dbxray.engines.mysql.advisor.candidates import Candidate, find_candidates
from dbxray.engines.mysql.advisor.catalog import columns_by_table
from dbxray.engines.mysql.advisor.constants import DEFAULTS, NUMERIC, TEMPORAL
from dbxray.engines.mysql.advisor.parse import _real_table, normalize_digest
from dbxray.engines.mysql.advisor.sql import finding_for
from dbxray.findings import Finding


def sample_statement(text: str, columns: dict, default_schema: str, digest: bool) -> str | None:
    """A runnable SELECT for EXPLAIN: placeholders get a typed sample value, UPDATE/DELETE become SELECT.

    Sample values never come from the table (dbxray reads no user data): 0, '' or a date,
    by the type of the column the placeholder is compared with. The plan's access type
    (ALL vs ref) does not depend on the value for an unindexed column.
    """
    import sqlglot
    from sqlglot import exp

    sql = normalize_digest(text) if digest else (text or "").strip().rstrip(";")
    if not sql:
        return None
    try:
        tree = sqlglot.parse_one(sql, read="mysql")
    except Exception:
        return None
    if isinstance(tree, exp.Update | exp.Delete):
        target = tree.this if isinstance(tree.this, exp.Table) else None
        if target is None or tree.args.get("joins"):
            return None
        select = exp.select("*").from_(target.copy())
        if tree.args.get("where") is not None:
            select.set("where", tree.args["where"].copy())
        if tree.args.get("order") is not None:
            select.set("order", tree.args["order"].copy())
        if tree.args.get("limit") is not None:
            select.set("limit", tree.args["limit"].copy())
        tree = select
    elif not isinstance(tree, exp.Select | exp.Union):
        return None

    types: dict[str, str] = {}
    for cols in columns.values():
        for low, meta in cols.items():
            types.setdefault(low, str(meta.get("data_type") or "").lower())

    def value_for(node: Any) -> Any:
        parent = node.parent
        while isinstance(parent, exp.Paren | exp.Neg):
            parent = parent.parent
        if isinstance(parent, exp.Limit | exp.Offset):
            return exp.Literal.number(10)
        if isinstance(parent, exp.Like):
            return exp.Literal.string("a%")
        col = None
        if parent is not None:
            col = parent.this if isinstance(parent.this, exp.Column) else parent.args.get("expression")
        dtype = types.get(col.name.lower(), "") if isinstance(col, exp.Column) else ""
        if dtype in TEMPORAL:
            return exp.Literal.string(TEMPORAL[dtype])
        if dtype and dtype not in NUMERIC:
            return exp.Literal.string("")
        return exp.Literal.number(0)

    tree = tree.transform(lambda n: value_for(n) if isinstance(n, exp.Placeholder) else n)
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not table.name or (not table.args.get("db") and table.name.lower() in ctes):
            continue
        schema = table.args["db"].name if table.args.get("db") else default_schema
        # digest text upper-cases names that are also keywords (EVENTS, STATUS): table names are
        # case-sensitive on most file systems, so put back the catalog's spelling
        real = _real_table(columns, schema, table.name)
        if real:
            table.set("this", exp.to_identifier(real[1], quoted=True))
            schema = real[0]
        if schema:
            table.set("db", exp.to_identifier(schema, quoted=True))
    return tree.sql(dialect="mysql")


def explain(session: Any, sql: str) -> list[dict[str, Any]]:
    """Plain EXPLAIN (nothing runs) inside a read-only transaction that is rolled back."""
    from dbxray.engines.mysql.guard import inspect_mysql

    info = inspect_mysql(sql)
    with session.rolled_back():
        rows = session.rows(f"EXPLAIN {info.text}")
    keep = ("id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref", "rows", "filtered",
            "Extra")
    out = []
    for r in rows:
        row = {k: r.get(k) for k in keep if k in r}
        if isinstance(row.get("rows"), str) and row["rows"].isdigit():
            row["rows"] = int(row["rows"])
        out.append(row)
    return out


def explain_evidence(session: Any, cand: Candidate, snap: Any, extra_queries: Any = ()) -> dict[str, Any]:
    """The current plan of the candidate's costliest statement: it must show the full scan."""
    columns = columns_by_table(snap)
    stmts = sorted(cand.statements, key=lambda s: -(s.get("total_ms") or 0))
    given = [s for s in stmts if s.get("source") == "given statement"]
    ordered = given + [s for s in stmts if s not in given]
    for stmt in ordered:
        text = next((q for q in extra_queries or () if " ".join(q.split())[:400] == stmt["query"]), stmt["query"])
        runnable = sample_statement(text, columns, stmt.get("schema") or snap.database or cand.schema,
                                    digest=stmt.get("source") != "given statement")
        if not runnable:
            continue
        try:
            plan = explain(session, runnable)
        except Exception as exc:  # a statement that cannot be explained must not hide the advice
            return {"explain_error": " ".join(str(exc).split())[:300], "explained": runnable}
        row = next((r for r in plan if str(r.get("table") or "").lower() in (cand.table.lower(),)), None)
        if row is None:
            row = next((r for r in plan if r.get("type") == "ALL"), plan[0] if plan else {})
        return {"explained": runnable, "explain": plan,
                "current_access": {"table": row.get("table"), "type": row.get("type"), "key": row.get("key"),
                                   "rows": row.get("rows")},
                "full_scan": row.get("type") == "ALL"}
    return {"explain_error": "no statement of this candidate could be turned into a runnable SELECT"}


def advise_mysql(session: Any, snap: Any, extra_queries: Any = (), thresholds: dict[str, Any] | None = None
                 ) -> list[Finding]:
    """``missing_index`` findings for a MySQL/MariaDB session, each with the current plan's EXPLAIN.

    ``snap`` needs the tables, indexes, columns and statements (or slow_log) frames; the
    optional ``column_stats`` frame orders equality columns by selectivity.
    """
    from dbxray.engines.mysql.guard import inspect_mysql

    extra = [inspect_mysql(q).text for q in extra_queries or ()]  # one statement each, or a clear error
    t = {**DEFAULTS, **(thresholds or {})}
    advice = find_candidates(snap, extra, t)
    findings = []
    for cand in advice.candidates:
        findings.append(finding_for(cand, snap, t, explain_evidence(session, cand, snap, extra)))
    return findings
