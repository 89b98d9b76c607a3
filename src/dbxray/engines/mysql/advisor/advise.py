"""Index advice for MySQL and MariaDB: candidates from the statements that read whole tables.

Where PostgreSQL has HypoPG, MySQL and MariaDB have no hypothetical indexes, so nothing
here is proven by the planner: every finding says so (``evidence.proven = False``) and
carries the ``EXPLAIN`` of the statement as it runs today (the full scan, ``type = ALL``).

How a candidate is built (the same rules as the PostgreSQL advisor):

* statements: performance_schema digests that used no index (or no good one) and examine
  many rows per row returned; the ``mysql.slow_log`` fallback (ratio only); and any
  statement the user passes, with its literals;
* each statement is parsed with sqlglot's MySQL dialect into per-table predicates:
  equality (``=``, ``IN``, ``IS NULL``, join columns), range (``<``, ``BETWEEN``,
  ``LIKE 'abc%'``) and ``ORDER BY``; predicates no B-tree can serve (a function of the
  column, ``LIKE '%x'``, ``<>``, ``OR``) are recorded as the reason nothing is suggested;
* per table: equality columns first, most selective first (``information_schema``
  cardinality, MariaDB's ``mysql.column_stats``), then one range or sort column;
* skipped: tiny tables, and candidates an existing index already serves as its prefix;
* candidates on one table whose columns are a prefix of another's merge into the longer one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from dbxray.engines.mysql.quoting import mysql_ident
from dbxray.findings import Finding

NO_HYPOTHETICAL = ("MySQL and MariaDB have no hypothetical indexes, so this suggestion is not proven by the "
                   "planner: build it on a replica or staging copy first and check that EXPLAIN switches from a "
                   "full scan (type ALL) to ref/range on it.")
DEFAULTS = {"min_rows": 5000, "min_calls": 10, "min_examined_ratio": 10.0, "max_rows_per_value_pct": 10.0}
NUMERIC = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float",
           "double", "real", "bit", "year", "bool", "boolean"}
TEMPORAL = {"date": "2000-01-01", "datetime": "2000-01-01 00:00:00", "timestamp": "2000-01-01 00:00:00",
            "time": "00:00:00"}
LONG_TEXT = {"tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob", "longblob", "json"}
MAX_KEY_BYTES = 3072
# the collectors advise_mysql reads (``dbxray indexes`` runs only these)
COLLECTORS = {"server", "settings", "status", "ps_setup", "statements", "slow_log", "tables", "indexes",
              "index_sizes", "columns", "column_stats"}
PREFIX_CHARS = 191  # 764 bytes in utf8mb4: fits every InnoDB row format


# -- parsing ------------------------------------------------------------------------------------------

@dataclass
class Access:
    """What one statement asks of one table."""

    schema: str
    table: str
    eq: list[str] = field(default_factory=list)
    join: list[str] = field(default_factory=list)  # column = other_table.column
    ranges: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)
    limit: bool = False
    unusable: list[str] = field(default_factory=list)

    def add(self, bucket: list[str], column: str) -> None:
        if column not in bucket:
            bucket.append(column)


@dataclass
class ParsedStatement:
    kind: str  # select | update | delete
    accesses: dict[tuple[str, str], Access]
    tree: Any = None


def normalize_digest(text: str) -> str | None:
    """Digest text -> something sqlglot parses; None when it was truncated by the server."""
    text = " ".join(str(text or "").split())
    if not text or (text.endswith("...") and not text.endswith("(...)")):
        return None  # performance_schema_max_digest_length cut it: never guess the rest
    text = re.sub(r"\(\s*\.\.\.\s*\)", "(?)", text)  # IN (...) -> IN (?)
    text = re.sub(r"\(_charset\)\s*", "", text)
    text = re.sub(r"\bSQL_TSI_(\w+)", r"\1", text)
    return text


def parse_statement(text: str, columns: dict[tuple[str, str], dict[str, dict]], default_schema: str,
                    digest: bool = True) -> ParsedStatement | None:
    """Per-table predicates of one statement, resolved against the real columns (case-insensitive)."""
    import sqlglot
    from sqlglot import exp

    sql = normalize_digest(text) if digest else (text or "").strip().rstrip(";")
    if not sql:
        return None
    try:
        trees = [t for t in sqlglot.parse(sql, read="mysql") if t is not None]
    except Exception:
        return None
    if len(trees) != 1:
        return None
    tree = trees[0]
    if isinstance(tree, exp.Select | exp.Union):
        kind = "select"
    elif isinstance(tree, exp.Update):
        kind = "update"
    elif isinstance(tree, exp.Delete):
        kind = "delete"
    else:
        return None
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    accesses: dict[tuple[str, str], Access] = {}
    for scope_node in _scopes(tree):
        _parse_scope(scope_node, columns, default_schema, ctes, accesses)
    return ParsedStatement(kind, accesses, tree)


def _scopes(tree: Any) -> list[Any]:
    """Every SELECT / UPDATE / DELETE node: each has its own FROM and WHERE."""
    from sqlglot import exp

    return [n for n in tree.walk() if isinstance(n, exp.Select | exp.Update | exp.Delete)]


def _tables_of(node: Any) -> list[Any]:
    """The tables directly in this scope's FROM / JOIN / UPDATE / DELETE target (not in subqueries)."""
    from sqlglot import exp

    found = []
    candidates = []
    frm = node.args.get("from_") or node.args.get("from")
    if frm is not None:
        candidates.append(frm.this)
        candidates.extend(frm.expressions or [])
    for join in node.args.get("joins") or []:
        candidates.append(join.this)
    if isinstance(node, exp.Update | exp.Delete) and isinstance(node.this, exp.Table):
        candidates.append(node.this)
    for cand in candidates:
        if isinstance(cand, exp.Table):
            found.append(cand)
    return found


def _parse_scope(node: Any, columns: dict, default_schema: str, ctes: set[str],
                 accesses: dict[tuple[str, str], Access]) -> None:
    from sqlglot import exp

    alias_map: dict[str, tuple[str, str]] = {}
    in_scope: list[tuple[str, str]] = []
    for table in _tables_of(node):
        name = table.name
        if not name or (not table.args.get("db") and name.lower() in ctes):
            continue
        schema = table.args.get("db").name if table.args.get("db") else default_schema
        key = _real_table(columns, schema, name)
        if key is None:
            continue
        in_scope.append(key)
        alias_map[(table.alias or name).lower()] = key
        alias_map.setdefault(name.lower(), key)
    if not in_scope:
        return

    def resolve(col: Any) -> tuple[tuple[str, str], str] | None:
        qualifier = col.table.lower() if col.table else None
        name = col.name.lower()
        if qualifier:
            key = alias_map.get(qualifier)
            if key is None:
                return None
            real = columns.get(key, {}).get(name)
            return (key, real["column"]) if real else None
        owners = [k for k in in_scope if name in columns.get(k, {})]
        if len(set(owners)) != 1:
            return None
        return owners[0], columns[owners[0]][name]["column"]

    def access(key: tuple[str, str]) -> Access:
        if key not in accesses:
            accesses[key] = Access(key[0], key[1])
        return accesses[key]

    where = node.args.get("where")
    conds = []
    if where is not None:
        conds.extend(_conjuncts(where.this))
    for join in node.args.get("joins") or []:
        if join.args.get("on") is not None:
            conds.extend(_conjuncts(join.args["on"]))
    for cond in conds:
        _classify(cond, resolve, access)
    order = node.args.get("order")
    if order is not None and isinstance(node, exp.Select):
        items = order.expressions
        dirs = {bool(o.args.get("desc")) for o in items}
        resolved = [resolve(o.this) if isinstance(o.this, exp.Column) else None for o in items]
        if items and len(dirs) == 1 and all(resolved) and len({r[0] for r in resolved}) == 1:
            acc = access(resolved[0][0])
            for _key, col in resolved:
                acc.add(acc.sort, col)
    if node.args.get("limit") is not None:
        for key in in_scope:
            access(key).limit = True


def _conjuncts(node: Any) -> list[Any]:
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _is_value(node: Any) -> bool:
    """A side of a comparison that does not depend on any row: literals, parameters, NOW(), ..."""
    from sqlglot import exp

    return node is not None and not isinstance(node, exp.Column) and node.find(exp.Column, exp.Subquery,
                                                                                 exp.Select) is None


def _wrapped_column(node: Any) -> Any:
    """The column inside a function or expression of a column (``LOWER(email)``, ``a + 1``)."""
    from sqlglot import exp

    if isinstance(node, exp.Column) or node is None:
        return None
    return node.find(exp.Column)


def _classify(cond: Any, resolve, access) -> None:
    from sqlglot import exp

    while isinstance(cond, exp.Paren):
        cond = cond.this
    if isinstance(cond, exp.EQ | exp.NullSafeEQ):
        left, right = cond.this, cond.expression
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            hits = [resolve(side) for side in (left, right)]
            if all(hits) and hits[0][0] != hits[1][0]:
                for hit in hits:  # a join: the probed side looks each row up by its column
                    acc = access(hit[0])
                    acc.add(acc.join, hit[1])
            return
        for col, other in ((left, right), (right, left)):
            if isinstance(col, exp.Column) and _is_value(other):
                hit = resolve(col)
                if hit:
                    acc = access(hit[0])
                    acc.add(acc.eq, hit[1])
                return
        _note_wrapped(cond, left, right, resolve, access)
        return
    if isinstance(cond, exp.In):
        col = cond.this
        if isinstance(col, exp.Column):
            hit = resolve(col)
            if hit:
                acc = access(hit[0])
                acc.add(acc.eq, hit[1])
        else:
            _note_wrapped(cond, col, None, resolve, access)
        return
    if isinstance(cond, exp.Is) and isinstance(cond.expression, exp.Null) and isinstance(cond.this, exp.Column):
        hit = resolve(cond.this)
        if hit:
            acc = access(hit[0])
            acc.add(acc.eq, hit[1])
        return
    if isinstance(cond, exp.GT | exp.GTE | exp.LT | exp.LTE):
        left, right = cond.this, cond.expression
        for col, other in ((left, right), (right, left)):
            if isinstance(col, exp.Column) and _is_value(other):
                hit = resolve(col)
                if hit:
                    acc = access(hit[0])
                    acc.add(acc.ranges, hit[1])
                return
        _note_wrapped(cond, left, right, resolve, access)
        return
    if isinstance(cond, exp.Between):
        if isinstance(cond.this, exp.Column) and _is_value(cond.args.get("low")) and _is_value(cond.args.get("high")):
            hit = resolve(cond.this)
            if hit:
                acc = access(hit[0])
                acc.add(acc.ranges, hit[1])
        else:
            _note_wrapped(cond, cond.this, None, resolve, access)
        return
    if isinstance(cond, exp.Like):
        col, pattern = cond.this, cond.expression
        if not isinstance(col, exp.Column):
            _note_wrapped(cond, col, None, resolve, access)
            return
        hit = resolve(col)
        if not hit:
            return
        acc = access(hit[0])
        if isinstance(pattern, exp.Literal) and pattern.is_string and pattern.this[:1] not in ("%", "_", ""):
            acc.add(acc.ranges, hit[1])  # LIKE 'abc%' is a range on the index
        elif isinstance(pattern, exp.Literal) and pattern.is_string:
            acc.unusable.append(f"LIKE {pattern.sql(dialect='mysql')} on {hit[1]} starts with a wildcard: "
                                "no B-tree index can serve it")
        else:
            acc.unusable.append(f"LIKE with a parameter on {hit[1]}: the pattern may start with a wildcard, "
                                "so no index is suggested from the normalized text")
        return
    if isinstance(cond, exp.Or):
        cols = {r[1] for c in cond.find_all(exp.Column) if (r := resolve(c))}
        for c in cond.find_all(exp.Column):
            hit = resolve(c)
            if hit:
                access(hit[0]).unusable.append(f"OR across {', '.join(sorted(cols))}: one composite index "
                                               "cannot serve it (consider UNION of indexed lookups)")
                break
        return


def _note_wrapped(cond: Any, left: Any, right: Any, resolve, access) -> None:
    """A function of a column compared with a value: say why no index is suggested."""
    for side in (left, right):
        col = _wrapped_column(side)
        if col is None:
            continue
        hit = resolve(col)
        if hit:
            access(hit[0]).unusable.append(
                f"{side.sql(dialect='mysql')} applies a function or expression to {hit[1]}: an index on the "
                "column cannot serve it (rewrite the predicate on the bare column, or index a generated column)")
            return


def _real_table(columns: dict, schema: str | None, name: str) -> tuple[str, str] | None:
    """The (schema, table) key as the catalog spells it (table names may be case-sensitive on disk)."""
    if schema is None:
        return None
    if (schema, name) in columns:
        return schema, name
    low = (schema.lower(), name.lower())
    for key in columns:
        if (key[0].lower(), key[1].lower()) == low:
            return key
    return None


# -- catalog --------------------------------------------------------------------------------------------

def columns_by_table(snap: Any) -> dict[tuple[str, str], dict[str, dict]]:
    """{(schema, table): {lower column name: {column, data_type, column_type, is_nullable, max_length,
    charset}}} from the ``columns`` collector (one row per table, its columns as a JSON array)."""
    from dbxray.engines.mysql.checks.helpers import json_column, memo

    frame = snap["columns"]

    def build() -> dict[tuple[str, str], dict[str, dict]]:
        out: dict[tuple[str, str], dict[str, dict]] = {}
        if frame.empty:
            return out
        names = ("column", "data_type", "column_type", "is_nullable", "max_length", "charset")
        for schema, table, cols in zip(frame["schema"].tolist(), frame["table"].tolist(),
                                       json_column(frame, "columns")):
            out[(schema, table)] = {str(c[0]).lower(): dict(zip(names, c)) for c in cols if c}
        return out

    return memo(frame, "columns_by_table", build)


def distinct_values(snap: Any) -> dict[tuple[str, str, str], tuple[float, str]]:
    """Estimated distinct values per column and where the number came from."""
    from dbxray.engines.mysql.checks.helpers import indexes, memo, records, tables

    return memo(snap["indexes"], "distinct_values", lambda: _distinct_values(snap, indexes, records, tables))


def _distinct_values(snap: Any, indexes: Any, records: Any, tables: Any) -> dict:
    out: dict[tuple[str, str, str], tuple[float, str]] = {}
    rows = {k: (v.get("rows_estimate") or 0) for k, v in tables(snap).items()}
    for r in records(snap["column_stats"]):
        freq = r.get("avg_frequency")
        total = rows.get((r["schema"], r["table"]))
        if freq and total:
            out[(r["schema"], r["table"], r["column"])] = (max(1.0, float(total) / float(freq)),
                                                           "mysql.column_stats")
    for ix in indexes(snap):
        if ix["columns"] and ix["cardinalities"] and ix["cardinalities"][0] is not None and ix["columns"][0]:
            key = (ix["schema"], ix["table"], ix["columns"][0])
            out[key] = (float(ix["cardinalities"][0]), f"information_schema.STATISTICS ({ix['index']})")
    return out


# -- candidates -----------------------------------------------------------------------------------------

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

def index_name(table: str, columns: list[str], existing: set[str]) -> str:
    base = "ix_" + "_".join([re.sub(r"\W+", "_", table)] + [re.sub(r"\W+", "_", c) for c in columns])
    if len(base) > 64:
        digest = hashlib.md5(base.encode()).hexdigest()[:8]
        base = base[:55] + "_" + digest
    name, n = base, 2
    while name.lower() in existing:
        name = f"{base[:60]}_{n}"
        n += 1
    return name


def _key_part(col: str, meta: dict[str, Any] | None) -> tuple[str, str | None]:
    """A quoted key part, with a prefix length where the column is too long to index whole."""
    if meta:
        dtype = str(meta.get("data_type") or "").lower()
        length = meta.get("max_length")
        per_char = 4 if str(meta.get("charset") or "").startswith("utf8mb4") else 3
        if dtype in LONG_TEXT:
            return f"{mysql_ident(col)}({PREFIX_CHARS})", f"{col} is {dtype}: indexed on its first {PREFIX_CHARS} " \
                                                          "characters"
        if dtype in ("varchar", "varbinary") and length and float(length) * per_char > MAX_KEY_BYTES:
            return f"{mysql_ident(col)}({PREFIX_CHARS})", f"{col} is {meta.get('column_type')}: too long for a " \
                                                          f"whole-column key, indexed on {PREFIX_CHARS} characters"
    return mysql_ident(col), None


def add_index_sql(cand: Candidate, snap: Any) -> tuple[str, str, list[str]]:
    """(ALTER TABLE ... ADD INDEX, the index name, notes on prefix lengths)."""
    from dbxray.engines.mysql.checks.helpers import indexes_by_table, tables

    existing = {str(ix["index"]).lower() for ix in indexes_by_table(snap).get((cand.schema, cand.table), [])}
    name = index_name(cand.table, cand.columns, existing)
    cols_meta = columns_by_table(snap).get((cand.schema, cand.table), {})
    parts, notes = [], []
    for col in cand.columns:
        part, note = _key_part(col, cols_meta.get(col.lower()))
        parts.append(part)
        if note:
            notes.append(note)
    engine = str(tables(snap).get((cand.schema, cand.table), {}).get("engine") or "").lower()
    online = ", ALGORITHM=INPLACE, LOCK=NONE" if engine == "innodb" else ""
    sql = (f"ALTER TABLE {mysql_ident(cand.schema, cand.table)} ADD INDEX {mysql_ident(name)} "
           f"({', '.join(parts)}){online};")
    return sql, name, notes


def finding_for(cand: Candidate, snap: Any, t: dict[str, Any], explain: dict[str, Any] | None = None) -> Finding:
    from dbxray.engines.mysql.checks.helpers import tables

    sql, name, notes = add_index_sql(cand, snap)
    stmts = sorted(cand.statements, key=lambda s: -(s.get("total_ms") or 0))
    calls = sum(s.get("calls") or 0 for s in stmts)
    total_ms = round(sum(s.get("total_ms") or 0 for s in stmts), 1)
    rows = tables(snap).get((cand.schema, cand.table), {}).get("rows_estimate")
    sources = sorted({s.get("source") for s in stmts if s.get("source")})
    evidence: dict[str, Any] = {
        "proven": False,
        "proof": NO_HYPOTHETICAL,
        "statements": stmts[:10],
        "calls": calls,
        "total_ms": total_ms,
        "table_rows": rows,
        "column_order": "equality columns first, most selective first, then one range or sort column",
        "cardinality": cand.cardinality,
        "source": ", ".join(sources),
    }
    if notes:
        evidence["prefix_lengths"] = notes
    if cand.replaces:
        evidence["makes_redundant"] = cand.replaces
    if explain:
        evidence.update(explain)
    severity = "warning" if calls >= t["min_calls"] else "info"
    first = stmts[0] if stmts else {}
    recommendation = (f"Index {cand.table}({', '.join(cand.columns)}): "
                      + (f"{len(stmts)} statement(s) read about {first.get('rows_examined_per_call', rows):,} rows "
                         f"per call to return {first.get('rows_returned_per_call', '?')}. "
                         if first.get("rows_examined_per_call") else "the statement scans the whole table. ")
                      + "The ALTER runs online on InnoDB (ALGORITHM=INPLACE, LOCK=NONE) but reads the whole table; "
                        "run it off-peak. " + NO_HYPOTHETICAL)
    if cand.replaces:
        recommendation += f" Afterwards {', '.join(cand.replaces)} is a left prefix of it and can be dropped."
    return Finding(
        check="missing_index",
        severity=severity,
        title=f"Missing index on {cand.table}({', '.join(cand.columns)})"
              + (f" for {len(stmts)} statement(s), {calls:,} calls" if calls else ""),
        object={"schema": cand.schema, "table": cand.table, "columns": list(cand.columns), "index": name,
                "query_id": first.get("query_id")},
        evidence=evidence,
        recommendation=recommendation,
        sql=sql,
    )


# -- EXPLAIN --------------------------------------------------------------------------------------------

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


__all__ = ["COLLECTORS", "DEFAULTS", "Advice", "Candidate", "advise_mysql", "explain", "find_candidates", "finding_for",
           "normalize_digest", "parse_statement", "sample_statement"]
