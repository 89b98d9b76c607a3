"""Plan findings: the checks an expert runs over a plan, one small function each.

Bands follow PEV2 (row estimates 10/100/1000x, rows removed 50/90%, heap fetches 40/90%,
hash batches > 1) and the rule names pganalyze/pgMustard made familiar; every finding
points at its node (``object.node_id``/``node_type``) and, where the plan shows it, names
the cause: stale statistics, correlated columns, or ``work_mem`` too small (with a value
that would do, from what the node reports it used).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dbxray.findings import Finding
from dbxray.plans.memory import DEFAULT_WORK_MEM_KB, human_kb, parse_kb, setting_value
from dbxray.plans.model import Node, Plan
from dbxray.plans.predicates import Predicates, mysql_predicates, pg_predicates
from dbxray.quoting import columns_list, ident

SCANS = {"Seq Scan", "Parallel Seq Scan", "Index Scan", "Parallel Index Scan", "Index Only Scan",
         "Parallel Index Only Scan", "Bitmap Heap Scan", "Parallel Bitmap Heap Scan",
         "Table Scan", "Index Range Scan", "Full Index Scan", "Index Lookup", "Covering Index Lookup"}
FULL_SCANS = {"Seq Scan", "Parallel Seq Scan", "Table Scan"}


@dataclass
class Thresholds:
    """Defaults chosen to flag what a person would act on; all overridable."""

    estimate_bands: tuple[float, float, float] = (10.0, 100.0, 1000.0)
    estimate_min_rows: float = 100.0
    estimate_min_ms: float = 1.0  # a statement that ran faster than this gets its mis-estimates as info only
    removed_info: float = 0.5
    removed_warning: float = 0.9
    removed_min_rows: float = 1000.0
    missing_index_min_rows: float = 10000.0
    missing_index_selectivity: float = 0.1
    heap_fetch_info: float = 0.1
    heap_fetch_warning: float = 0.4
    heap_fetch_min: float = 100.0
    nested_loop_loops: float = 10000.0
    nested_loop_critical_loops: float = 1000000.0
    nested_loop_seq_loops: float = 100.0
    planning_info_ms: float = 20.0
    planning_warning_ms: float = 100.0
    jit_min_ms: float = 10.0
    jit_share: float = 0.2
    large_offset_rows: float = 10000.0
    fk_trigger_min_ms: float = 10.0
    fk_trigger_share: float = 0.2
    sort_memory_factor: float = 3.0  # an in-memory sort needs ~2.5-4.5x what it wrote to disk (measured on PG 15)


@dataclass
class Context:
    plan: Plan
    catalog: Any = None  # plans.catalog.PgCatalog, or None offline
    thresholds: Thresholds = field(default_factory=Thresholds)
    statement: str | None = None

    @property
    def engine(self) -> str:
        return self.plan.engine

    def setting_kb(self, name: str, default_kb: int) -> tuple[int, str]:
        """A memory setting in kB and where it came from (the plan's Settings, the server, or a default)."""
        if name in self.plan.settings:
            kb = parse_kb(self.plan.settings[name])
            if kb:
                return kb, "plan"
        if self.catalog is not None:
            kb = parse_kb(self.catalog.setting(name))
            if kb:
                return kb, "server"
        return default_kb, "default"

    def setting_float(self, name: str, default: float) -> float:
        raw = self.plan.settings.get(name)
        if raw is None and self.catalog is not None:
            raw = self.catalog.setting(name)
        try:
            return float(raw) if raw is not None else default
        except ValueError:
            return default

    def table(self, node: Node) -> dict[str, Any] | None:
        if self.catalog is None or not node.relation:
            return None
        return self.catalog.table(node.schema, node.relation)

    def predicates(self, text: str | None) -> Predicates | None:
        return pg_predicates(text) if self.engine == "postgres" else mysql_predicates(text)


def _object(node: Node, ctx: Context, **extra: Any) -> dict[str, Any]:
    info = ctx.table(node)
    schema = node.schema or (info or {}).get("schema")
    obj = {"node_id": node.node_id, "node_type": node.node_type, "schema": schema, "table": node.relation,
           "relation": f"{schema}.{node.relation}" if schema and node.relation else node.relation,
           "index": node.index}
    obj.update(extra)
    return obj


def _table_sql(node: Node, ctx: Context) -> str | None:
    info = ctx.table(node)
    if not node.relation:
        return None
    schema = node.schema or (info or {}).get("schema")
    return ident(ctx.engine, schema, node.relation) if schema else ident(ctx.engine, node.relation)


def _time_evidence(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if node.self_ms is not None:
        out["self_ms"] = round(node.self_ms, 3)
    if node.self_pct is not None:
        out["self_pct"] = round(node.self_pct, 1)
    return out


def _ancestors(node: Node) -> Iterable[Node]:
    cur = node.parent
    while cur is not None:
        yield cur
        cur = cur.parent


# -- row estimates ------------------------------------------------------------------------------

def _estimate_factor(node: Node, ctx: Context) -> float:
    if not node.analysed or node.never_executed or node.plan_rows is None or node.actual_rows is None:
        return 1.0
    actual, planned = max(node.actual_rows, 1.0), max(node.plan_rows, 1.0)
    if max(node.actual_rows, node.plan_rows) * max(node.loops, 1.0) < ctx.thresholds.estimate_min_rows:
        return 1.0
    if planned > actual and node.may_stop_early:
        return 1.0  # a Limit (or semi/anti join) stopped pulling rows: not a planner error
    return max(actual, planned) / min(actual, planned)


def _band(factor: float, ctx: Context) -> int:
    return sum(1 for b in ctx.thresholds.estimate_bands if factor >= b)


def row_estimate_error(node: Node, ctx: Context) -> Iterable[Finding]:
    """The planner's row estimate is off by 10x/100x/1000x at the node where the error starts.

    Why: every choice above (join method, join order, memory) is made on that number; an error
    that starts at a scan propagates to every join above it, so we report its origin only.
    """
    factor = _estimate_factor(node, ctx)
    band = _band(factor, ctx)
    if band == 0:
        return
    if any(_band(_estimate_factor(c, ctx), ctx) >= band for c in node.children):
        return  # inherited from a child: the child is the origin and is reported there
    severity = {1: "info", 2: "warning", 3: "critical"}[band]
    ran_ms = ctx.plan.execution_ms if ctx.plan.execution_ms is not None else ctx.plan.root.total_ms
    if ran_ms is not None and ran_ms < ctx.thresholds.estimate_min_ms:
        severity = "info"  # wrong, but it cost nothing this time
    direction = "under" if (node.actual_rows or 0) > (node.plan_rows or 0) else "over"
    evidence = {"plan_rows": node.plan_rows, "actual_rows": node.actual_rows, "loops": node.actual_loops,
                "factor": round(factor, 1), "direction": f"{direction}estimate", **_time_evidence(node)}
    where = node.label()
    title = (f"{direction.capitalize()}estimated rows {factor:,.0f}x at {where}: planned "
             f"{node.plan_rows:,.0f}, got {node.actual_rows:,.0f} per loop")
    table_node = node
    if node.node_type == "Bitmap Index Scan" and node.parent is not None and node.parent.relation:
        table_node = node.parent  # the index scan's table is named on the heap scan above it
    recommendation, sql, obj_extra = _estimate_cause(table_node, ctx, evidence)
    obj = _object(table_node, ctx, **obj_extra)
    obj.update({"node_id": node.node_id, "node_type": node.node_type, "index": node.index or obj.get("index")})
    yield Finding("row_estimate_error", severity, title, obj, evidence, recommendation, sql)


def _stale(info: dict[str, Any], reltuples: float, mods: float) -> bool:
    """Never analysed, or changed by more than 10% since.

    Right after an ANALYZE, the modification counter can still include rows whose counts the
    writing session flushed late (PostgreSQL 15 flushes table stats up to a second after the
    fact); a table analysed within the last minute whose row count matches is not stale.
    """
    analyzed, now = info.get("analyzed_at"), info.get("now")
    if analyzed is None:
        return True
    if mods <= 50 + 0.1 * reltuples:
        return False
    live = float(info.get("n_live_tup") or 0.0)
    recent = now is not None and (now - analyzed).total_seconds() < 60
    return not (recent and abs(live - reltuples) <= 0.1 * max(reltuples, 1.0))


def _estimate_cause(node: Node, ctx: Context, evidence: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    """Stale statistics, then correlated columns, then the generic advice."""
    table_sql = _table_sql(node, ctx)
    info = ctx.table(node)
    if info is not None and table_sql and ctx.engine == "postgres":
        reltuples = max(float(info.get("reltuples") or 0.0), 0.0)
        mods = float(info.get("n_mod_since_analyze") or 0.0)
        analyzed = info.get("analyzed_at")
        evidence.update({"last_analyze": analyzed, "n_mod_since_analyze": int(mods),
                         "n_live_tup": info.get("n_live_tup"), "reltuples": reltuples})
        if _stale(info, reltuples, mods):
            evidence["cause"] = "stale statistics"
            why = "never been analysed" if analyzed is None else (
                f"changed by {mods:,.0f} rows since its last ANALYZE ({reltuples:,.0f} rows then)")
            return (f"Likely cause: stale statistics: {node.relation} has {why}. Run ANALYZE on it, and check "
                    "why autovacuum did not (autovacuum_enabled, thresholds).", f"ANALYZE {table_sql};", {})
    preds = ctx.predicates(" AND ".join(p for p in (node.index_cond, node.recheck_cond, node.filter) if p))
    eq = list(dict.fromkeys(preds.equality)) if preds else []
    if table_sql and len(eq) >= 2 and node.relation:
        evidence["cause"] = "correlated columns"
        if ctx.engine == "postgres":
            schema = node.schema or (info or {}).get("schema")
            stats_name = ident("postgres", schema, f"{node.relation}_{'_'.join(eq)}_stats"[:63]) if schema \
                else ident("postgres", f"{node.relation}_{'_'.join(eq)}_stats"[:63])
            sql = (f"CREATE STATISTICS {stats_name} (dependencies) ON {columns_list('postgres', eq)} "
                   f"FROM {table_sql};\nANALYZE {table_sql};")
            return (f"Likely cause: correlated columns: the planner multiplies the selectivities of "
                    f"{', '.join(eq)} as if they were independent. Extended statistics teach it the dependency.",
                    sql, {"columns": eq})
        return (f"Likely cause: correlated columns ({', '.join(eq)}): the optimizer treats them as independent. "
                "Histograms on them help (MariaDB: ANALYZE TABLE ... PERSISTENT FOR COLUMNS; MySQL 8: ANALYZE TABLE"
                " ... UPDATE HISTOGRAM ON ...).", None, {"columns": eq})
    if table_sql and ctx.engine == "mysql" and preds and preds.columns:
        cols = list(dict.fromkeys(preds.equality + preds.range))
        evidence["cause"] = "no column statistics"
        if ctx.plan.flavor == "mariadb":
            sql = f"ANALYZE TABLE {table_sql} PERSISTENT FOR COLUMNS ({columns_list('mysql', cols)}) INDEXES ();"
        else:
            sql = f"ANALYZE TABLE {table_sql} UPDATE HISTOGRAM ON {columns_list('mysql', cols)} WITH 100 BUCKETS;"
        return (f"Likely cause: the optimizer has no statistics on {', '.join(cols)} (not indexed), so it guesses the "
                "filter's selectivity. A histogram on those columns gives it the real distribution.", sql,
                {"columns": cols})
    if table_sql and ctx.engine == "postgres" and node.relation:
        return ("Refresh the statistics first (ANALYZE); if the estimate stays wrong, raise the column's statistics "
                "target (ALTER TABLE ... ALTER COLUMN ... SET STATISTICS 1000) or add extended statistics.",
                f"ANALYZE {table_sql};", {})
    return ("The planner misjudged how many rows this step produces, so the plan above it was chosen on a wrong "
            "number: check the statistics of the tables below it, and join conditions on correlated columns.",
            None, {})


# -- memory: sorts, hashes, bitmaps --------------------------------------------------------------

def disk_sort(node: Node, ctx: Context) -> Iterable[Finding]:
    """A Sort that spilled to disk (external merge): work_mem was too small for it."""
    if "Sort" not in node.node_type:
        return
    spaces = [node.raw] + [w for w in node.raw.get("Workers") or [] if isinstance(w, dict)]
    disk = [float(s.get("Sort Space Used") or 0) for s in spaces
            if s.get("Sort Space Type") == "Disk" or str(s.get("Sort Method", "")).startswith("external")]
    if not disk:
        return
    disk_kb = max(disk)
    work_mem, origin = ctx.setting_kb("work_mem", DEFAULT_WORK_MEM_KB)
    needed = max(disk_kb * ctx.thresholds.sort_memory_factor, work_mem * 2)
    value = setting_value(needed)
    evidence = {"sort_method": node.raw.get("Sort Method"), "disk_kb": disk_kb, "work_mem_kb": work_mem,
                "work_mem_from": origin, "suggested_work_mem": value, **_time_evidence(node)}
    if node.buffers.get("temp_written"):
        evidence["temp_written_blocks"] = node.buffers["temp_written"]
    key = node.raw.get("Sort Key")
    small = disk_kb < 1024 and (node.self_pct or 0.0) < 10
    yield Finding(
        "disk_sort", "info" if small else "warning",
        f"Sort spilled {human_kb(disk_kb)} to disk at node {node.node_id} (work_mem {human_kb(work_mem)})",
        _object(node, ctx), evidence,
        f"Likely cause: work_mem too small. About {value} would keep this sort in memory (it wrote "
        f"{human_kb(disk_kb)}; an in-memory sort needs roughly {ctx.thresholds.sort_memory_factor:g}x that). "
        "Raise it for this session or role, not server-wide (each sort of each connection may use it)"
        + (f", or add an index that returns rows in the order of {_text(key)}." if key else "."),
        f"SET work_mem = '{value}';")


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def hash_spill(node: Node, ctx: Context) -> Iterable[Finding]:
    """A Hash (join) or HashAggregate that needed more than one batch: it spilled to disk."""
    raw = node.raw
    if node.node_type.endswith("Hash"):
        batches = float(raw.get("Hash Batches") or 0)
        original = float(raw.get("Original Hash Batches") or batches)
        if max(batches, original) <= 1:
            return
        peak = float(raw.get("Peak Memory Usage") or 0)
        needed = peak * max(batches, original)
        what = "Hash"
    elif node.node_type.endswith("Aggregate") and (float(raw.get("HashAgg Batches") or 0) > 1
                                                    or float(raw.get("Disk Usage") or 0) > 0):
        batches = float(raw.get("HashAgg Batches") or 0)
        original = batches
        peak = float(raw.get("Peak Memory Usage") or raw.get("Memory Usage") or 0)
        needed = peak + float(raw.get("Disk Usage") or 0)
        what = "HashAggregate"
    else:
        return
    work_mem, origin = ctx.setting_kb("work_mem", DEFAULT_WORK_MEM_KB)
    multiplier = ctx.setting_float("hash_mem_multiplier", 2.0)
    value = setting_value(max(needed * 1.25 / max(multiplier, 1.0), work_mem * 2))
    evidence = {"batches": int(batches), "original_batches": int(original), "peak_memory_kb": peak,
                "needed_kb": round(needed), "work_mem_kb": work_mem, "work_mem_from": origin,
                "hash_mem_multiplier": multiplier, "suggested_work_mem": value, **_time_evidence(node)}
    yield Finding(
        "hash_spill", "warning",
        f"{what} at node {node.node_id} spilled to disk in {max(batches, original):,.0f} batches",
        _object(node, ctx), evidence,
        f"Likely cause: work_mem too small: the hash table needed about {human_kb(needed)} and could use "
        f"{human_kb(work_mem * multiplier)} (work_mem x hash_mem_multiplier {multiplier:g}). About work_mem = {value} "
        "would keep it in memory; or raise hash_mem_multiplier, or make the hashed side smaller.",
        f"SET work_mem = '{value}';")


def lossy_bitmap(node: Node, ctx: Context) -> Iterable[Finding]:
    """A bitmap heap scan whose bitmap went lossy: every row of those pages is rechecked."""
    lossy = float(node.raw.get("Lossy Heap Blocks") or 0)
    if "Bitmap Heap Scan" not in node.node_type or lossy <= 0:
        return
    exact = float(node.raw.get("Exact Heap Blocks") or 0)
    work_mem, origin = ctx.setting_kb("work_mem", DEFAULT_WORK_MEM_KB)
    needed = (exact + lossy) * 80 / 1024  # an exact page entry costs ~80 bytes of bitmap (tidbitmap.c)
    value = setting_value(max(needed * 1.5, work_mem * 2))
    removed = node.removed_total("recheck")
    evidence = {"exact_heap_blocks": exact, "lossy_heap_blocks": lossy, "rows_removed_by_recheck": removed,
                "work_mem_kb": work_mem, "work_mem_from": origin, "suggested_work_mem": value,
                **_time_evidence(node)}
    share = lossy / max(exact + lossy, 1)
    yield Finding(
        "lossy_bitmap", "warning" if share >= 0.1 or removed >= 10000 else "info",
        f"Bitmap went lossy for {lossy:,.0f} of {exact + lossy:,.0f} heap pages at node {node.node_id}",
        _object(node, ctx), evidence,
        f"Likely cause: work_mem too small for an exact bitmap of {exact + lossy:,.0f} pages: about {value} would "
        "keep it exact and save the recheck of every row on the lossy pages.",
        f"SET work_mem = '{value}';")


# -- wasted reads ------------------------------------------------------------------------------

def _rows_read(node: Node, ctx: Context) -> tuple[float, float, str] | None:
    """(rows read, rows kept, how we know): measured when analysed, else planned vs the table's size."""
    if node.analysed:
        if node.never_executed:
            return None
        kept = (node.actual_rows or 0.0) * max(node.loops, 1.0)
        read = kept + node.removed_total("filter") + node.removed_total("recheck")
        return read, kept, "measured"
    if node.raw.get("plan_rows_read") is not None and node.plan_rows is not None:  # MySQL: rows examined
        return float(node.raw["plan_rows_read"]), node.plan_rows, "estimated"
    info = ctx.table(node)
    if info and node.plan_rows is not None and float(info.get("reltuples") or 0) > 0:
        processes = (node.parent.workers_planned or 0) + 1 if node.node_type.startswith("Parallel") and \
            node.parent is not None and node.parent.workers_planned else 1
        return float(info["reltuples"]), node.plan_rows * processes, "estimated"
    return None


def missing_index(node: Node, ctx: Context) -> Iterable[Finding]:
    """A full scan whose filter throws away most rows, on columns a B-tree could serve.

    The suggestion comes from the filter alone (equality columns first, then one range column);
    it is unproven until the index advisor re-plans with a hypothetical index (HypoPG).
    """
    found = _missing_index(node, ctx)
    if found:
        yield found


def _missing_index(node: Node, ctx: Context) -> Finding | None:
    if node.node_type not in FULL_SCANS or not node.filter or not node.relation:
        return None
    read_kept = _rows_read(node, ctx)
    if not read_kept:
        return None
    read, kept, how = read_kept
    t = ctx.thresholds
    if read < t.missing_index_min_rows or kept > read * t.missing_index_selectivity * 1.0001:
        return None
    preds = ctx.predicates(node.filter)
    if not preds or not preds.columns:
        return None
    columns = preds.columns
    info = ctx.table(node)
    if info:
        nd = info.get("n_distinct") or {}
        eq = sorted(dict.fromkeys(preds.equality), key=lambda c: -_distinct(nd.get(c), info))
        columns = eq + [c for c in preds.columns if c not in eq]
        if any(ix and ix[0] == columns[0] for ix in info.get("indexes") or []):
            return None  # an index already leads with this column: the planner chose not to use it
    table_sql = _table_sql(node, ctx)
    concurrently = "" if (info or {}).get("relkind") == "p" else "CONCURRENTLY "
    if ctx.engine == "postgres":
        sql = f"CREATE INDEX {concurrently}ON {table_sql} ({columns_list('postgres', columns)});"
    else:
        name = ident("mysql", f"ix_{node.relation}_{'_'.join(columns)}"[:64])
        sql = f"ALTER TABLE {table_sql} ADD INDEX {name} ({columns_list('mysql', columns)});"
    removed_pct = 100.0 * (1 - kept / read) if read else 0.0
    evidence = {"rows_read": round(read), "rows_kept": round(kept), "removed_pct": round(removed_pct, 2),
                "rows_from": how, "filter": node.filter, "proven": False, **_time_evidence(node)}
    severity = "warning"
    if kept > 0.01 * read:  # keeps 1-10%: an index may still lose to the scan; the advisor's proof decides
        severity = "info"
    if node.self_pct is not None and node.self_pct < 5 and read < 100 * t.missing_index_min_rows:
        severity = "info"
    return Finding(
        "missing_index", severity,
        f"{node.node_type} on {node.relation} reads {read:,.0f} rows to keep {kept:,.0f}: an index on "
        f"({', '.join(columns)}) could serve the filter",
        _object(node, ctx, columns=columns), evidence,
        f"Create a B-tree index on ({', '.join(columns)}) (equality columns first): the scan reads the whole table "
        "and discards {:.1f}% of it. Unproven: the index advisor (`dbxray indexes`) proves it with a hypothetical "
        "index before you build it.".format(removed_pct),
        sql)


def _distinct(value: Any, info: dict[str, Any]) -> float:
    if value is None:
        return 0.0
    value = float(value)
    return value if value >= 0 else -value * max(float(info.get("reltuples") or 0), 1.0)


def filter_inefficiency(node: Node, ctx: Context) -> Iterable[Finding]:
    """Most rows a scan (or join) reads are thrown away by its filter or recheck."""
    if not node.analysed or node.never_executed:
        return
    t = ctx.thresholds
    if node.node_type in SCANS:
        removed = node.removed_total("filter") + node.removed_total("recheck")
        if float(node.raw.get("Lossy Heap Blocks") or 0) > 0:
            removed = node.removed_total("filter")  # the recheck part is lossy_bitmap's finding
        what = node.filter or node.recheck_cond
    elif node.rows_removed_by_join_filter:
        removed = node.removed_total("join_filter")
        what = node.join_filter
    else:
        return
    kept = (node.actual_rows or 0.0) * max(node.loops, 1.0)
    total = removed + kept
    if removed < t.removed_min_rows or total <= 0:
        return
    share = removed / total
    if share < t.removed_info:
        return
    if node.node_type in FULL_SCANS and _missing_index(node, ctx) is not None:
        return  # reported as missing_index, with the index that fixes it
    severity = "warning" if share >= t.removed_warning else "info"
    evidence = {"rows_removed": round(removed), "rows_kept": round(kept), "removed_pct": round(100 * share, 2),
                "filter": what, **_time_evidence(node)}
    sql = None
    rec = "Filter earlier: an index (or a partial index) that matches the whole condition reads only the rows kept."
    if (node.index or "Bitmap Heap" in node.node_type) and ctx.engine == "postgres":
        cond = ctx.predicates(node.index_cond or node.recheck_cond)
        filt = ctx.predicates(node.filter)
        if cond and filt and cond.columns and filt.equality + filt.range:
            eq = list(dict.fromkeys(cond.equality + filt.equality))
            rng = [c for c in cond.range + filt.range if c not in eq][:1]
            columns = eq + rng
            if columns != cond.columns:
                rec = (f"The index {node.index or 'scan'} finds {total:,.0f} rows and the filter then drops "
                       f"{100 * share:.0f}% of them: an index on ({', '.join(columns)}) would find only the rows "
                       "kept (unproven).")
                sql = f"CREATE INDEX CONCURRENTLY ON {_table_sql(node, ctx)} ({columns_list('postgres', columns)});"
                evidence["proven"] = False
    yield Finding(
        "filter_inefficiency", severity,
        f"{node.label()} discards {100 * share:.0f}% of the {total:,.0f} rows it reads",
        _object(node, ctx), evidence, rec, sql)


def heap_fetches(node: Node, ctx: Context) -> Iterable[Finding]:
    """An index-only scan that still visits the heap: the visibility map is out of date."""
    if "Index Only Scan" not in node.node_type or not node.analysed:
        return
    fetches = float(node.raw.get("Heap Fetches") or 0) * 1.0
    if fetches < ctx.thresholds.heap_fetch_min:
        return
    # PostgreSQL reports Heap Fetches summed over loops (not per loop) from PG 11 on
    rows = (node.actual_rows or 0.0) * max(node.loops, 1.0) + node.removed_total("filter")
    share = fetches / max(rows, 1.0)
    if share < ctx.thresholds.heap_fetch_info:
        return
    severity = "warning" if share >= ctx.thresholds.heap_fetch_warning else "info"
    table_sql = _table_sql(node, ctx)
    yield Finding(
        "heap_fetches", severity,
        f"Index-only scan on {node.relation} went to the heap for {fetches:,.0f} of {rows:,.0f} rows",
        _object(node, ctx), {"heap_fetches": fetches, "rows": rows, "fetch_pct": round(100 * min(share, 1.0), 1),
                             **_time_evidence(node)},
        "Likely cause: the visibility map is stale (the table changed since its last VACUUM), so the index-only "
        "scan must check the heap. VACUUM the table, and tune autovacuum so it keeps up.",
        f"VACUUM (ANALYZE) {table_sql};" if table_sql else None)


# -- joins -------------------------------------------------------------------------------------

def nested_loop_explosion(node: Node, ctx: Context) -> Iterable[Finding]:
    """A nested loop whose inner side runs very many times (or re-reads a table for each outer row)."""
    if node.node_type != "Nested Loop" or len(node.children) < 2:
        return
    outer, inners = node.children[0], [c for c in node.children[1:] if not c.subplan_name]
    if not inners:
        return
    inner = max(inners, key=lambda n: n.actual_loops or 0.0)  # MySQL nested loops list every joined table
    t = ctx.thresholds
    inner_full = any(n.node_type in FULL_SCANS for n in inner.walk() if n.node_type != "Materialize") \
        and inner.node_type != "Materialize"
    if node.analysed:
        loops = inner.actual_loops or 0.0
        if inner.node_type == "Memoize" and inner.children:  # only cache misses run the inner plan
            loops = inner.children[0].actual_loops or 0.0
        if loops < t.nested_loop_loops and not (inner_full and loops >= t.nested_loop_seq_loops):
            return
        inner_ms = inner.total_ms or 0.0
        reference = ctx.plan.execution_ms or ctx.plan.root.total_ms or 0.0
        share = inner_ms / reference if reference else 0.0
        severity = "info"
        if share >= 0.2 or inner_full:
            severity = "warning"
        if loops >= t.nested_loop_critical_loops and share >= 0.5:
            severity = "critical"
        expected = (outer.plan_rows or 0.0) * max(outer.loops, 1.0)
        evidence = {"inner_loops": loops, "outer_rows_planned": expected, "inner_ms": round(inner_ms, 3),
                    "inner_pct": round(100 * share, 1), "inner_node_id": inner.node_id,
                    "inner_node_type": inner.node_type}
        how = f"ran its inner side ({inner.label()}) {loops:,.0f} times"
    else:
        expected = outer.plan_rows or 0.0
        if not (inner_full and expected >= t.nested_loop_loops):
            return
        loops = expected
        severity = "warning"
        evidence = {"outer_rows_planned": expected, "inner_node_id": inner.node_id, "inner_node_type": inner.node_type}
        how = f"is planned to run its inner side ({inner.label()}) {expected:,.0f} times"
    causes = []
    if node.analysed and expected and loops >= 10 * max(expected, 1.0):
        causes.append(f"the planner expected {expected:,.0f} outer rows and got {loops:,.0f}: a nested loop was "
                      "chosen on a wrong estimate (see the row_estimate_error finding below it)")
        evidence["cause"] = "row estimate"
    if inner_full:
        causes.append("the inner side reads a whole table each time: an index on its join column would make each "
                      "loop a lookup")
    rec = ("Likely cause: " + "; ".join(causes) + ". " if causes else "") + \
        "To confirm, compare the plan with SET enable_nestloop = off in a test session (not as a fix)."
    yield Finding("nested_loop_explosion", severity, f"Nested loop at node {node.node_id} {how}",
                  _object(node, ctx), evidence, rec, None)


# -- statement-level ---------------------------------------------------------------------------

def high_planning_time(plan: Plan, ctx: Context) -> Iterable[Finding]:
    """Planning took longer than it should: many partitions, many joins, or heavy statistics."""
    planning = plan.planning_ms
    if planning is None:
        return
    t = ctx.thresholds
    execution = plan.execution_ms
    share = planning / (planning + execution) if execution is not None and planning + execution > 0 else None
    if planning >= t.planning_warning_ms and (share is None or share >= 0.2):
        severity = "warning"
    elif planning >= t.planning_info_ms and (share is None or share >= 0.5):
        severity = "info"
    else:
        return
    root = plan.root
    n_nodes = sum(1 for _ in root.walk())
    relations = len({(n.schema, n.relation) for n in root.walk() if n.relation})
    yield Finding(
        "high_planning_time", severity,
        f"Planning took {planning:,.1f} ms" + (f", {100 * share:.0f}% of the statement's time" if share else ""),
        {"node_id": root.node_id, "node_type": root.node_type},
        {"planning_ms": round(planning, 3), "execution_ms": execution, "planning_pct": round(100 * share, 1)
         if share is not None else None, "plan_nodes": n_nodes, "relations": relations},
        "Prepare the statement once and execute it many times (a prepared statement plans once), make sure "
        "partition pruning applies (filter on the partition key with a constant or parameter), and keep the join "
        "count under join_collapse_limit.", None)


def jit_cost(plan: Plan, ctx: Context) -> Iterable[Finding]:
    """JIT compilation cost a large share of a statement that runs too briefly to gain from it.

    Check id ``setting`` with ``object.setting = 'jit'`` (the vocabulary's settings id): the fix is
    a setting (jit_above_cost or jit), not the statement.
    """
    timing = plan.jit.get("Timing") if isinstance(plan.jit, dict) else None
    if not isinstance(timing, dict):
        return
    total = timing.get("Total")
    if isinstance(total, dict):  # PG 15+ JSON: {"Generation": {"Total": ...}} per phase? keep both shapes
        total = total.get("Total")
    if not isinstance(total, (int, float)) or isinstance(total, bool):
        total = sum(v for v in timing.values() if isinstance(v, (int, float)) and not isinstance(v, bool))
    execution = plan.execution_ms
    t = ctx.thresholds
    if total < t.jit_min_ms or (execution and total < t.jit_share * execution):
        return
    cost = plan.root.total_cost or 0.0
    suggested = int(10 ** math.ceil(math.log10(max(cost, 1.0) * 10)))
    share = 100.0 * total / execution if execution else None
    yield Finding(
        "setting", "warning",
        f"JIT compilation took {total:,.1f} ms" + (f" ({share:.0f}% of execution)" if share else ""),
        {"setting": "jit", "node_id": plan.root.node_id, "node_type": plan.root.node_type},
        {"jit_ms": round(total, 3), "execution_ms": execution, "jit_functions": plan.jit.get("Functions"),
         "plan_total_cost": cost, "jit_above_cost": plan.settings.get("jit_above_cost")},
        f"JIT is compiling code for a statement that runs too briefly to gain from it. Raise jit_above_cost above "
        f"this plan's cost ({cost:,.0f}), e.g. to {suggested:,}, for this role or database; or turn jit off for "
        "OLTP workloads.",
        f"SET jit_above_cost = {suggested};")


def large_offset(node: Node, ctx: Context) -> Iterable[Finding]:
    """``OFFSET n``: the server produces and throws away n rows to return the page after them."""
    if node.node_type != "Limit" or not node.children:
        return
    child = node.children[0]
    offset = None
    if node.analysed and child.analysed and not node.never_executed:
        offset = (child.rows_total or 0.0) - (node.rows_total or 0.0)
        how = "measured"
    if offset is None and ctx.statement and ctx.engine == "postgres" and node.parent is None:
        offset, how = _statement_offset(ctx.statement), "statement"
    if not offset or offset < ctx.thresholds.large_offset_rows:
        return
    returned = node.rows_total if node.analysed else node.plan_rows
    yield Finding(
        "large_offset", "warning",
        f"OFFSET throws away {offset:,.0f} rows to return {returned or 0:,.0f}",
        _object(node, ctx),
        {"rows_discarded": round(offset), "rows_returned": returned, "offset_from": how, **_time_evidence(node)},
        "Page with a keyset instead of OFFSET: remember the last sort key of the page and ask for "
        "WHERE key > :last ORDER BY key LIMIT n, which reads only the rows it returns.", None)


def _statement_offset(sql: str) -> float | None:
    try:
        import pglast
        from pglast import ast

        stmt = pglast.parse_sql(sql)[0].stmt
        off = getattr(stmt, "limitOffset", None)
        if isinstance(off, ast.A_Const) and isinstance(off.val, ast.Integer):
            return float(off.val.ival)
    except Exception:
        return None
    return None


def slow_fk_trigger(plan: Plan, ctx: Context) -> Iterable[Finding]:
    """A foreign key's trigger (ON DELETE/UPDATE of the referenced row) dominates the statement.

    Why: each deleted parent row makes PostgreSQL look up the referencing rows; without an index
    on the referencing columns, each lookup is a full scan of the child table. The time shows only
    in the plan's ``Triggers`` list, never in a node (pgMustard #72, PEV2 #601).
    """
    execution = plan.execution_ms or 0.0
    for trig in plan.triggers:
        constraint, time_ms = trig.get("Constraint Name"), float(trig.get("Time") or 0.0)
        if not constraint or time_ms < ctx.thresholds.fk_trigger_min_ms or \
                (execution and time_ms < ctx.thresholds.fk_trigger_share * execution):
            continue
        fk = ctx.catalog.foreign_key(str(constraint), trig.get("Relation")) if ctx.catalog is not None else None
        if fk is not None and fk["indexed"]:
            continue
        evidence = {"trigger": trig.get("Trigger Name"), "constraint": constraint, "trigger_ms": round(time_ms, 3),
                    "calls": trig.get("Calls"), "execution_ms": execution,
                    "trigger_pct": round(100 * time_ms / execution, 1) if execution else None}
        obj = {"node_id": plan.root.node_id, "node_type": plan.root.node_type}
        sql = None
        if fk is not None:
            obj.update({"schema": fk["schema"], "table": fk["table"], "columns": list(fk["columns"])})
            sql = (f"CREATE INDEX CONCURRENTLY ON {ident('postgres', fk['schema'], fk['table'])} "
                   f"({columns_list('postgres', list(fk['columns']))});")
            what = f"{fk['table']} ({', '.join(fk['columns'])})"
        else:
            what = f"the referencing columns of {constraint}"
        yield Finding(
            "missing_fk_index", "warning",
            f"Foreign key {constraint} cost {time_ms:,.1f} ms in its trigger ({trig.get('Calls')} calls): "
            f"{what} has no index",
            obj, evidence,
            f"Each change to a referenced row scans {what} to find the rows that point at it. An index on "
            "the referencing columns makes each check a lookup.", sql)


NODE_RULES: list[Callable[[Node, Context], Iterable[Finding]]] = [
    row_estimate_error, disk_sort, hash_spill, lossy_bitmap, missing_index, filter_inefficiency, heap_fetches,
    nested_loop_explosion, large_offset,
]
PLAN_RULES: list[Callable[[Plan, Context], Iterable[Finding]]] = [high_planning_time, jit_cost, slow_fk_trigger]


def plan_findings(plan: Plan, catalog: Any = None, thresholds: Thresholds | None = None,
                  statement: str | None = None) -> list[Finding]:
    """Every finding of an annotated plan (call ``analyze.annotate`` first)."""
    ctx = Context(plan, catalog, thresholds or Thresholds(), statement or plan.statement)
    out: list[Finding] = []
    for node in plan.root.walk():
        for rule in NODE_RULES:
            out.extend(rule(node, ctx))
    for plan_rule in PLAN_RULES:
        out.extend(plan_rule(plan, ctx))
    return out
