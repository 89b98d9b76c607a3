"""Candidate indexes from the statements that read whole tables: ordering, prefixes, merging."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbxray.engines.mysql.advisor.catalog import columns_by_table, distinct_values
from dbxray.engines.mysql.advisor.constants import DEFAULTS
from dbxray.engines.mysql.advisor.parse import Access, parse_statement


@dataclass
class Candidate:
    schema: str
    table: str
    columns: list[str]
    n_eq: int
    statements: list[dict[str, Any]] = field(default_factory=list)
    cardinality: dict[str, Any] = field(default_factory=dict)
    replaces: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return self.schema, self.table, tuple(self.columns)


@dataclass
class Advice:
    candidates: list[Candidate] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # statements with no suggestion, and why


def _statement_sources(snap: Any, t: dict[str, Any], extra_queries: Any) -> list[dict[str, Any]]:
    """Statements to advise on: digests that read whole tables, and the user's own."""
    from dbxray.engines.mysql.checks.helpers import PS_SOURCE, records, statements

    out = []
    frame, source = statements(snap)
    for r in records(frame):
        calls = float(r.get("calls") or 0)
        if calls < t["min_calls"]:
            continue
        examined = float(r.get("rows_examined") or 0)
        returned = float(r.get("rows") or 0) + float(r.get("rows_affected") or 0)
        if source == PS_SOURCE and not ((r.get("no_index_used") or 0) + (r.get("no_good_index_used") or 0)):
            continue
        if examined / calls < t["min_rows"] or examined / max(returned, calls) < t["min_examined_ratio"]:
            continue
        out.append({"query_id": r.get("queryid"), "query": r.get("query"), "digest": True, "source": source,
                    "schema": r.get("schema"),
                    "calls": int(calls), "total_ms": round(float(r.get("total_exec_ms") or 0), 1),
                    "mean_ms": round(float(r.get("mean_exec_ms") or 0), 2),
                    "rows_examined_per_call": round(examined / calls),
                    "rows_returned_per_call": round(returned / calls, 1),
                    "no_index_used": r.get("no_index_used")})
    for q in extra_queries or ():
        out.append({"query_id": None, "query": q, "digest": False, "source": "given statement"})
    return out


def _order_eq(eq: list[str], schema: str, table: str, distinct: dict) -> tuple[list[str], dict[str, Any]]:
    """Most selective equality columns first; columns without statistics keep their order, after them."""
    known = [(c, distinct[(schema, table, c)]) for c in eq if (schema, table, c) in distinct]
    unknown = [c for c in eq if (schema, table, c) not in distinct]
    known.sort(key=lambda kv: -kv[1][0])
    card = {c: {"distinct": round(v[0]), "source": v[1]} for c, v in known}
    card.update({c: {"distinct": None, "source": "no statistics"} for c in unknown})
    return [c for c, _ in known] + unknown, card


def _covered_by(columns: list[str], n_eq: int, table_indexes: list[dict[str, Any]], strict: bool) -> str | None:
    """An existing B-tree index that already starts with this candidate's equality columns (in any
    order); with ``strict`` (a sort column for ORDER BY ... LIMIT) it must also continue with the tail."""
    want_eq = {c.lower() for c in columns[:n_eq]}
    want_rest = [c.lower() for c in columns[n_eq:]] if (strict or not n_eq) else []
    need = n_eq + len(want_rest)
    for ix in table_indexes:
        if ix["method"] != "BTREE" or ix.get("is_ignored"):
            continue
        cols = [str(c).lower() for c in ix["columns"] if c is not None]
        if len(cols) < need:
            continue
        if set(cols[:n_eq]) == want_eq and cols[n_eq:need] == want_rest:
            return ix["index"]
    return None


def _unique_lookup(eq: list[str], table_indexes: list[dict[str, Any]]) -> str | None:
    """A PRIMARY/UNIQUE key whose columns are all compared by equality: each lookup finds one row."""
    have = {c.lower() for c in eq}
    for ix in table_indexes:
        cols = [str(c).lower() for c in ix["columns"] if c is not None]
        if ix["is_unique"] and ix["method"] == "BTREE" and cols and set(cols) <= have \
                and all(sp is None for sp in ix["sub_parts"]):
            return ix["index"]
    return None


def _rows_per_value(eq: list[str], schema: str, table: str, rows: float, distinct: dict) -> float | None:
    """Rows one equality lookup returns, when every column has statistics (independence assumed)."""
    if not eq or not rows:
        return None
    values = 1.0
    for col in eq:
        known = distinct.get((schema, table, col))
        if known is None:
            return None
        values *= max(known[0], 1.0)
    return rows / min(values, rows)


def find_candidates(snap: Any, extra_queries: Any = (), thresholds: dict[str, Any] | None = None) -> Advice:
    """Candidates (no database access): what the report's ``missing_index`` check and the advisor share."""
    from dbxray.engines.mysql.checks.helpers import indexes_by_table, tables

    t = {**DEFAULTS, **(thresholds or {})}
    advice = Advice()
    sources = _statement_sources(snap, t, extra_queries)
    if not sources:
        return advice
    columns = columns_by_table(snap)
    tabs = tables(snap)
    by_table = indexes_by_table(snap)
    distinct = distinct_values(snap)
    default_schema = snap.database or ""
    found: dict[tuple, Candidate] = {}
    for stmt in sources:
        # a digest's unqualified tables are in its own default schema (whole-server reports mix several)
        schema = stmt.get("schema") or default_schema
        parsed = parse_statement(stmt["query"], columns, schema, digest=stmt["digest"])
        if parsed is None:
            advice.skipped.append({**_brief(stmt), "reason": "could not parse the statement (or it was truncated)"})
            continue
        useful = False
        n_skipped = len(advice.skipped)
        for key, acc in parsed.accesses.items():
            info = tabs.get(key, {})
            rows = info.get("rows_estimate") or 0
            # a table can be read two ways: driven by its own filters, or probed once per row of
            # another table through the join columns; each way gets its own candidate
            ways = []
            if acc.join:
                ways.append(("join", acc.join + [c for c in acc.eq if c not in acc.join]))
            if acc.eq or acc.ranges or (acc.sort and acc.limit):
                ways.append(("filter", list(acc.eq)))
            if not ways:
                if acc.unusable:
                    advice.skipped.append({**_brief(stmt), "table": key[1], "reason": "; ".join(acc.unusable)})
                continue
            if rows < t["min_rows"]:
                advice.skipped.append({**_brief(stmt), "table": key[1],
                                       "reason": f"table has about {int(rows)} rows (< {t['min_rows']}): "
                                                 "a scan costs less than an index would save"})
                continue
            for _way, eq_cols in ways:
                cand = _candidate(stmt, key, acc, eq_cols, rows, t, distinct, by_table, advice)
                if cand is None:
                    continue
                useful = True
                known = found.get(cand.key)
                if known is None:
                    found[cand.key] = known = cand
                known.statements.append(_brief(stmt, full=True))
        if not useful and len(advice.skipped) == n_skipped:
            advice.skipped.append({**_brief(stmt), "reason": "no predicate an index could serve"})
    advice.candidates = _merge(list(found.values()), by_table)
    return advice


def _candidate(stmt: dict[str, Any], key: tuple[str, str], acc: Access, eq_cols: list[str], rows: float,
               t: dict[str, Any], distinct: dict, by_table: dict, advice: Advice) -> Candidate | None:
    """One candidate for one way of reading the table, or None with the reason recorded in ``advice``."""
    table_indexes = by_table.get(key, [])
    eq, card = _order_eq(eq_cols, key[0], key[1], distinct)
    range_tail = acc.ranges[:1]
    sort_tail = [c for c in acc.sort if c not in eq][:1] if (eq or acc.limit) else []
    tail = range_tail or sort_tail
    cols = eq + [c for c in tail if c not in eq]
    if not cols:
        return None

    def skip(reason: str) -> None:
        advice.skipped.append({**_brief(stmt), "table": key[1], "reason": reason})

    unique = _unique_lookup(eq, table_indexes)
    if unique:
        skip(f"{', '.join(eq)} already finds at most one row through unique index {unique}")
        return None
    covered = _covered_by(cols, len(eq), table_indexes, strict=bool(sort_tail and not range_tail))
    if covered:
        skip(f"index {covered} already starts with {', '.join(eq or cols)}")
        return None
    per_value = _rows_per_value(eq, key[0], key[1], rows, distinct)
    if per_value is not None and not tail and 100.0 * per_value / rows > t["max_rows_per_value_pct"]:
        skip(f"low selectivity: {', '.join(eq)} leaves about {per_value:,.0f} rows "
             f"({100.0 * per_value / rows:.0f}% of the table) per lookup")
        return None
    scanned = float(stmt.get("rows_examined_per_call") or rows or 0)
    floor = float(t.get("min_improvement", DEFAULTS["min_improvement"]))
    if per_value is not None and scanned > 0 and 1 - per_value / scanned < floor:
        skip(f"estimated cut of the rows read per call is {100 * (1 - per_value / scanned):.0f}% "
             f"(about {per_value:,.0f} of {scanned:,.0f}), below min_improvement {100 * floor:.0f}%")
        return None
    return Candidate(key[0], key[1], cols, len(eq), cardinality=card)


def _brief(stmt: dict[str, Any], full: bool = False) -> dict[str, Any]:
    keep = ("query_id", "source", "schema", "calls", "total_ms", "mean_ms", "rows_examined_per_call",
            "rows_returned_per_call", "no_index_used") if full else ("query_id", "source")
    out = {k: stmt.get(k) for k in keep if stmt.get(k) is not None}
    out["query"] = " ".join(str(stmt.get("query") or "").split())[:400]
    return out


def _merge(cands: list[Candidate], by_table: dict) -> list[Candidate]:
    """A candidate whose columns lead a longer one on the same table is served by it: keep the longer."""
    cands.sort(key=lambda c: (c.schema, c.table, -len(c.columns)))
    kept: list[Candidate] = []
    for cand in cands:
        host = next((k for k in kept if (k.schema, k.table) == (cand.schema, cand.table)
                     and len(k.columns) > len(cand.columns)
                     and set(k.columns[:cand.n_eq]) == set(cand.columns[:cand.n_eq])
                     and k.columns[cand.n_eq:len(cand.columns)] == cand.columns[cand.n_eq:]), None)
        if host is not None:
            host.statements.extend(cand.statements)
            continue
        kept.append(cand)
    for cand in kept:
        # existing indexes the new one makes redundant (a left prefix of it): worth dropping afterwards
        for ix in by_table.get((cand.schema, cand.table), []):
            cols = [str(c).lower() for c in ix["columns"] if c is not None]
            if (ix["method"] == "BTREE" and not ix["is_unique"] and len(cols) < len(cand.columns)
                    and cols == [c.lower() for c in cand.columns[:len(cols)]]):
                cand.replaces.append(ix["index"])
    return kept


# -- SQL --------------------------------------------------------------------------------------------
