"""What the advisor needs to know of the tables a workload touches, fetched for those tables only.

The report's collectors read every table of the database; the advisor asks the catalog about
the few dozen tables its statements name (a database may have 10,000): their columns, row
counts, existing indexes and ``pg_stats``. ``pg_stats`` hides the rows of
columns the role may not SELECT, without any error; we tell that apart from "never analysed".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbxray.engines.postgres.advisor.statement import Relation
from dbxray.engines.postgres.quoting import pg_ident

_TABLES_SQL = """
SELECT q.name AS asked, c.oid::bigint AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
       c.reltuples::float8 AS reltuples, c.relpages::bigint AS relpages,
       CASE WHEN c.relkind = 'p' THEN
         (SELECT sum(greatest(p.reltuples, 0)) FROM pg_partition_tree(c.oid) t
            JOIN pg_class p ON p.oid = t.relid WHERE t.isleaf)::float8 END AS partition_rows,
       ARRAY(SELECT a.attname::text FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
       ARRAY(SELECT format_type(a.atttypid, NULL) FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS types,
       s.n_live_tup::bigint AS n_live_tup,
       coalesce(s.last_analyze, s.last_autoanalyze) IS NOT NULL AS analyzed,
       has_table_privilege(c.oid, 'SELECT') AS can_select
FROM unnest(%s::text[]) AS q(name)
JOIN pg_class c ON c.oid = to_regclass(q.name)
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%%'
"""

_INDEXES_SQL = """
SELECT i.indrelid::bigint AS relid, c.relname AS name, am.amname AS method, i.indisvalid AS valid,
       i.indisunique AS is_unique, i.indpred IS NOT NULL AS partial,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
               LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
              WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) AS columns,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE k.ord > i.indnkeyatts ORDER BY k.ord) AS include
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_am am ON am.oid = c.relam
WHERE i.indrelid = ANY(%s::oid[])
"""

_STATS_SQL = """
SELECT s.schemaname AS schema, s.tablename AS "table", s.attname::text AS column, s.inherited,
       s.null_frac::float8 AS null_frac, s.n_distinct::float8 AS n_distinct,
       s.most_common_freqs[1]::float8 AS top_freq, s.correlation::float8 AS correlation,
       s.avg_width::int AS avg_width
FROM pg_stats s
JOIN unnest(%s::text[], %s::text[]) AS q(schema, tbl) ON q.schema = s.schemaname AND q.tbl = s.tablename
"""

_SAMPLE_SQL = """
SELECT most_common_vals::text::text[] AS mcv, histogram_bounds::text::text[] AS histogram
FROM pg_stats WHERE schemaname = %s AND tablename = %s AND attname = %s
ORDER BY inherited DESC LIMIT 1
"""

# types a plain B-tree cannot index (no default btree operator class), or where Dexter found it useless
NOT_BTREE = frozenset({"json", "xml", "point", "polygon", "circle", "box", "line", "lseg", "path", "tsquery"})


@dataclass
class ExistingIndex:
    name: str
    method: str
    columns: tuple[str | None, ...]  # key columns; None for an expression
    include: tuple[str, ...] = ()
    valid: bool = True
    unique: bool = False
    partial: bool = False


@dataclass
class ColumnStats:
    null_frac: float = 0.0
    n_distinct: float = 0.0
    top_freq: float | None = None
    correlation: float | None = None
    avg_width: int = 0


@dataclass
class TableInfo:
    oid: int
    schema: str
    name: str
    relkind: str
    rows: float
    columns: tuple[str, ...]
    types: dict[str, str]
    indexes: list[ExistingIndex] = field(default_factory=list)
    stats: dict[str, ColumnStats] = field(default_factory=dict)
    analyzed: bool = False
    can_select: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def partitioned(self) -> bool:
        return self.relkind == "p"

    @property
    def stats_state(self) -> str:
        """``ok``, ``hidden`` (no privilege to see pg_stats) or ``missing`` (never analysed)."""
        if self.stats:
            return "ok"
        if not self.can_select:
            return "hidden"
        return "missing"

    def btree_ok(self, column: str) -> bool:
        return column in self.types and self.types[column] not in NOT_BTREE

    def relation(self) -> Relation:
        return Relation(self.schema, self.name, self.columns)


class Catalog:
    """Tables by the names statements use, looked up once each through the session's search_path."""

    def __init__(self, session: Any):
        self.session = session
        self.tables: dict[tuple[str, str], TableInfo] = {}
        self._names: dict[tuple[str | None, str], tuple[str, str] | None] = {}
        self._stats_loaded: set[tuple[str, str]] = set()

    def load(self, names: set[tuple[str | None, str]]) -> None:
        """Resolve the (schema, name) pairs not seen before; unknown names resolve to None."""
        todo = sorted((n for n in names if n not in self._names), key=lambda n: (n[0] or "", n[1]))
        if not todo:
            return
        asked = {pg_ident(s, n) if s else pg_ident(n): (s, n) for s, n in todo}
        for name in todo:
            self._names[name] = None
        rows = self.session.rows(_TABLES_SQL, (list(asked),))
        new: dict[int, TableInfo] = {}
        for r in rows:
            key = (r["schema"], r["name"])
            self._names[asked[r["asked"]]] = key
            if key in self.tables:
                continue
            rows_est = r["partition_rows"] if r["relkind"] == "p" else r["reltuples"]
            if rows_est is None or rows_est < 0:  # never vacuumed nor analysed
                rows_est = float(r["n_live_tup"] or 0) or float(r["relpages"] or 0) * 50
            info = TableInfo(
                oid=r["oid"], schema=r["schema"], name=r["name"], relkind=r["relkind"], rows=float(rows_est),
                columns=tuple(r["columns"]), types=dict(zip(r["columns"], r["types"])),
                analyzed=bool(r["analyzed"]), can_select=bool(r["can_select"]),
            )
            self.tables[key] = info
            new[info.oid] = info
        if new:
            for r in self.session.rows(_INDEXES_SQL, (list(new),)):
                new[r["relid"]].indexes.append(ExistingIndex(
                    name=r["name"], method=r["method"], columns=tuple(r["columns"]), include=tuple(r["include"]),
                    valid=bool(r["valid"]), unique=bool(r["is_unique"]), partial=bool(r["partial"])))

    def resolve(self, schema: str | None, name: str) -> Relation | None:
        key = self._names.get((schema, name))
        return self.tables[key].relation() if key else None

    def load_stats(self, keys: set[tuple[str, str]]) -> None:
        """pg_stats for these tables only (inherited rows for a partitioned parent)."""
        todo = sorted(k for k in keys if k in self.tables and k not in self._stats_loaded)
        if not todo:
            return
        self._stats_loaded.update(todo)
        rows = self.session.rows(_STATS_SQL, ([k[0] for k in todo], [k[1] for k in todo]))
        for r in rows:
            info = self.tables[(r["schema"], r["table"])]
            if bool(r["inherited"]) != info.partitioned:
                continue
            info.stats[r["column"]] = ColumnStats(r["null_frac"] or 0.0, r["n_distinct"] or 0.0, r["top_freq"],
                                                  r["correlation"], r["avg_width"] or 0)

    def sample_values(self, schema: str, table: str, column: str) -> tuple[list[str], list[str]]:
        """(most common values, histogram bounds) of one column, as text: to fill in parameters."""
        rows = self.session.rows(_SAMPLE_SQL, (schema, table, column))
        if not rows:
            return [], []
        return list(rows[0]["mcv"] or []), list(rows[0]["histogram"] or [])


def selectivity(info: TableInfo, column: str, kind: str) -> float:
    """The fraction of rows a generic ``column <kind> $1`` keeps, from pg_stats (planner defaults without)."""
    st = info.stats.get(column)
    if kind == "null":
        return st.null_frac if st else 0.005
    if kind == "range":
        return 1 / 3  # the planner's default for an inequality against an unknown value
    if st is None:
        return 0.005
    ndv = st.n_distinct if st.n_distinct > 0 else -st.n_distinct * max(info.rows, 1)
    if ndv <= 0:
        return 0.005
    sel = (1 - st.null_frac) / ndv
    return min(1.0, sel * (2 if kind == "in" else 1))
