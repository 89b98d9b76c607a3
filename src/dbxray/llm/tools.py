"""The read-only tools ``dbxray ask`` offers the model, run on the report's own safe session.

Each tool is a fixed question with typed arguments (never SQL from the model): the generic plan
of a statement by query id, a table's statistics and indexes, a hypothetical-index test through
the advisor, settings, top statements, the lock graph. The session is the report's (read-only,
statement and lock timeouts); plans are generic (nothing executes); every result goes through
the same redaction as the evidence document and is capped in size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dbxray.errors import BadInput, DbxrayError
from dbxray.llm.evidence import INDEX_FIELDS, TABLE_FIELDS
from dbxray.llm.redact import Redactor

MAX_RESULT_CHARS = 6000
# settings whose values may carry credentials, paths or commands: never shown, whatever the model asks
_SECRET_SETTING = re.compile(r"conninfo|command|password|passwd|secret|key|auth|ssl|credential|file|dir|path|"
                             r"user|host|address|wsrep_sst", re.IGNORECASE)


class ToolError(Exception):
    """A tool that cannot answer: the model gets the reason as an error result, the loop goes on."""


@dataclass
class Tool:
    name: str
    description: str
    schema: dict[str, Any]
    run: Callable[[Any, dict[str, Any]], Any]

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "input_schema": {"type": "object", "additionalProperties": False, **self.schema}}


class ToolContext:
    """What the tools read: the open session, the snapshot and report of this run, the redactor."""

    def __init__(self, session: Any, snapshot: Any, report: Any, statement_rows: list[dict[str, Any]]):
        from dbxray import engine

        self.session = session
        self.snapshot = snapshot
        self.report = report
        self.rows = statement_rows
        self.engine = engine.of(snapshot)
        self.red = Redactor(snapshot.engine, snapshot.host)

    def statement(self, query_id: str) -> dict[str, Any]:
        qid = str(query_id).strip()
        for r in self.rows:
            if str(r.get("queryid")) == qid:
                return r
        raise ToolError(f"no statement with query id {qid} in this snapshot (see top_statements)")

    def table(self, name: str) -> tuple[str, str]:
        schema, _, table = str(name).strip().rpartition(".")
        frame = self.snapshot["tables"]
        if frame.empty:
            raise ToolError("the snapshot has no table statistics")
        keys = [(str(s or ""), str(t)) for s, t in zip(frame.get("schema", [""] * len(frame)), frame["table"])]
        hits = [k for k in keys if k[1] == table and (not schema or k[0] == schema)]
        if len(hits) != 1:
            raise ToolError(f"table {name} is {'ambiguous: give its schema' if hits else 'not in this database'}")
        return hits[0]


def _generic_plan(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    row = ctx.statement(args["query_id"])
    try:
        plan = ctx.engine.explain(ctx.session, str(row.get("query") or ""), analyze=False)
    except DbxrayError as exc:
        raise ToolError(str(exc)) from None
    nodes: list[dict[str, Any]] = []

    def walk(node: Any, depth: int) -> None:
        if len(nodes) >= 60:
            return
        item = {"depth": depth, "node_type": node.node_type}
        for key in ("relation", "index", "total_cost", "plan_rows", "plan_width", "filter", "index_cond",
                    "recheck_cond", "join_filter", "detail"):
            value = getattr(node, key, None)
            if value not in (None, ""):
                item[key] = ctx.red.value(key, round(value, 2) if isinstance(value, float) else value)
        nodes.append(item)
        for child in node.children:
            walk(child, depth + 1)

    walk(plan.root, 0)
    return {"query_id": str(args["query_id"]), "query": ctx.red.sql(row.get("query")),
            "total_cost": plan.root.total_cost, "nodes": nodes, "note": "generic plan: estimates, nothing executed"}


def _table_stats(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from dbxray.findings import jsonable

    schema, table = ctx.table(args["table"])

    def rows(frame_name: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        frame = ctx.snapshot[frame_name]
        if frame.empty or "table" not in frame.columns:
            return []
        mask = (frame["table"] == table) & ((frame["schema"] == schema) if "schema" in frame.columns else True)
        return [{k: v for k, v in ctx.red.record(jsonable({f: r.get(f) for f in fields})).items()
                 if v not in (None, "", [])} for r in frame[mask].to_dict("records")]

    findings = [f.id for f in ctx.report.findings if f.object.get("table") == table
                and f.object.get("schema", schema) == schema]
    stats = rows("tables", (*TABLE_FIELDS, "reltuples", "relpages", "table_bytes", "index_bytes", "data_bytes",
                            "avg_row_bytes", "row_format", "last_vacuum", "last_autovacuum", "last_analyze"))
    name = ".".join(p for p in (schema, table) if p)
    indexes = [{"id": f"index:{name}.{i.get('index')}", **i}
               for i in rows("indexes", ("index", *INDEX_FIELDS, "definition", "include_columns"))]
    keys = rows("foreign_keys", ("name", "columns", "ref_schema", "ref_table", "ref_columns", "on_delete"))
    return {"id": f"table:{name}", "statistics": stats[0] if stats else {},
            "indexes": indexes, "foreign_keys": keys, "finding_ids": findings,
            "note": "catalog statistics from this run's snapshot; no table data"}


def _hypothetical_index(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    schema, table = ctx.table(args["table"])
    columns = [str(c) for c in args.get("columns") or []]
    if not columns:
        raise ToolError("give the index columns")
    statements = [{"query": ctx.statement(q).get("query"), "query_id": str(q)} for q in args.get("query_ids") or []]
    if not statements:
        raise ToolError("give the query ids the index should serve")
    try:
        result = ctx.engine.prove_index(ctx.session, schema or "public", table, columns, statements)
    except BadInput as exc:
        raise ToolError(f"hypothetical indexes need HypoPG: {exc}") from None
    result = {k: v for k, v in result.items() if k != "statements"} | {
        "statements": [{k: v for k, v in s.items() if k != "error"} | ({"error": ctx.red.prose(s["error"])}
                                                                         if s.get("error") else {})
                       for s in result.get("statements", [])]}
    return {"index": f"{'.'.join(p for p in (schema, table) if p)} ({', '.join(columns)})", **result}


def _settings(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    frame = ctx.snapshot["settings"]
    names = [str(n).strip().lower() for n in args.get("names") or []][:40]
    if frame.empty:
        raise ToolError("the snapshot has no settings")
    out: dict[str, Any] = {}
    for name in names:
        if _SECRET_SETTING.search(name):
            out[name] = {"withheld": "may hold credentials, hosts or paths"}
            continue
        hit = frame[frame["name"].str.lower() == name]
        if hit.empty:
            out[name] = {"error": "no such setting"}
            continue
        rec = {k: v for k, v in hit.iloc[0].to_dict().items() if isinstance(v, str) and v}
        out[name] = {k: ctx.red.prose(rec[k], 200) for k in ("setting", "unit", "source", "boot_val", "context")
                     if k in rec}
    return {"settings": out}


def _top_statements(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    key = args.get("order_by") or "total_ms"
    limit = max(1, min(int(args.get("limit") or 10), 25))
    rows = [r for r in ctx.rows if r.get(key) is not None and r.get(key) == r.get(key)]
    rows.sort(key=lambda r: -float(r[key]))
    out = []
    for r in rows[:limit]:
        item = {"id": f"statement:{r.get('queryid')}", "query": ctx.red.sql(r.get("query"))}
        item.update({k: round(float(r[k]), 2) for k in ("calls", "total_ms", "share_pct", "mean_ms", "max_ms",
                                                         "rows_per_call", "temp_blks") if r.get(k) == r.get(k)
                     and r.get(k) is not None})
        out.append(item)
    return {"order_by": key, "statements": out}


def _lock_graph(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """Who waits on whom now: the activity and lock views read again on the same session."""
    from dbxray.collect import run_collectors
    from dbxray.findings import jsonable

    fresh = run_collectors(ctx.session, only={"activity", "locks", "lock_waits", "transactions"})
    edges: list[dict[str, Any]] = []
    sessions: dict[Any, dict[str, Any]] = {}
    activity = fresh["activity"]
    if not activity.empty and "blocked_by" in activity.columns:  # PostgreSQL: pg_blocking_pids per session
        by_pid = {r["pid"]: r for r in activity.to_dict("records")}
        for r in by_pid.values():
            for blocker in jsonable(r.get("blocked_by")) or []:
                edges.append({"waiting_pid": r["pid"], "blocking_pid": blocker, "wait_event": r.get("wait_event")})
                for pid in (r["pid"], blocker):
                    if pid in by_pid:
                        sessions[pid] = _session(ctx, by_pid[pid])
    waits = fresh["lock_waits"]
    if not waits.empty:  # MySQL / MariaDB: InnoDB lock waits
        for r in waits.to_dict("records"):
            edges.append({k: v for k, v in ctx.red.record(jsonable(r)).items() if v is not None})
    return {"edges": edges[:50], "sessions": list(sessions.values())[:50], "waiting": len(edges),
            "note": "read now, on the report's session" + ("" if edges else ": nobody waits on a lock")}


def _session(ctx: ToolContext, row: dict[str, Any]) -> dict[str, Any]:
    from dbxray.findings import jsonable

    keep = ("pid", "role", "application_name", "client_addr", "state", "wait_event_type", "wait_event",
            "query_age_s", "xact_age_s", "state_age_s", "query")
    return {k: v for k, v in ctx.red.record(jsonable({k: row.get(k) for k in keep})).items() if v is not None}


TOOLS = [
    Tool("generic_plan", "The generic plan (estimated costs and rows per node, nothing executed) of a statement "
         "of this database, by its query id (the id after 'statement:' in the evidence). PostgreSQL only.",
         {"properties": {"query_id": {"type": "string"}}, "required": ["query_id"]}, _generic_plan),
    Tool("table_stats", "A table's statistics (size, rows, dead rows, scans, vacuum and analyze ages), its "
         "indexes with their use, its foreign keys, and the ids of the findings about it.",
         {"properties": {"table": {"type": "string", "description": "schema.table or table"}},
          "required": ["table"]}, _table_stats),
    Tool("hypothetical_index", "Test an index without building it (HypoPG): the planner's cost of the given "
         "statements before and after, and whether it would use the index. PostgreSQL with HypoPG only.",
         {"properties": {"table": {"type": "string"}, "columns": {"type": "array", "items": {"type": "string"}},
                         "query_ids": {"type": "array", "items": {"type": "string"}}},
          "required": ["table", "columns", "query_ids"]}, _hypothetical_index),
    Tool("settings", "Current values of server settings by name (credentials, hosts and paths are withheld).",
         {"properties": {"names": {"type": "array", "items": {"type": "string"}}}, "required": ["names"]},
         _settings),
    Tool("top_statements", "The heaviest statements (normalized text) ordered by a measure.",
         {"properties": {"order_by": {"type": "string", "enum": ["total_ms", "mean_ms", "calls", "rows_per_call",
                                                                   "temp_blks"]},
                         "limit": {"type": "integer", "minimum": 1, "maximum": 25}}}, _top_statements),
    Tool("lock_graph", "Who waits on whom right now: waiting and blocking sessions, their state, transaction "
         "age and normalized statement.", {"properties": {}}, _lock_graph),
]
BY_NAME = {t.name: t for t in TOOLS}


def run_tool(ctx: ToolContext, name: str, args: Any) -> tuple[str, bool]:
    """(result text, is_error): never raises for a tool's own failure; the text is capped."""
    tool = BY_NAME.get(name)
    if tool is None:
        return json.dumps({"error": f"no tool named {name}"}), True
    if not isinstance(args, dict):
        return json.dumps({"error": "arguments must be an object"}), True
    try:
        result = tool.run(ctx, args)
        error = False
    except (ToolError, DbxrayError, KeyError, TypeError, ValueError) as exc:
        result, error = {"error": ctx.red.prose(str(exc) or exc.__class__.__name__)}, True
    except Exception as exc:  # a database error (timeout, permission): the model hears why, the loop goes on
        result, error = {"error": ctx.red.prose(f"{exc.__class__.__name__}: {exc}")}, True
        _recover(ctx.session)
    from dbxray.findings import jsonable

    text = json.dumps(jsonable(result), separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + f" …[cut at {MAX_RESULT_CHARS} characters]"
    return text, error


def result_ids(name: str, args: dict[str, Any], text: str) -> set[str]:
    """Evidence ids a successful result establishes (the model may cite what a tool showed it)."""
    ids = set(re.findall(r'"id":"((?:statement|table|index|setting):[^"]+)"', text))
    if name in ("generic_plan",) and args.get("query_id"):
        ids.add(f"statement:{args['query_id']}")
    if name == "hypothetical_index":
        ids.update(f"statement:{q}" for q in args.get("query_ids") or [])
    if name == "settings":
        try:
            shown = json.loads(text).get("settings", {})
        except ValueError:
            shown = {}
        ids.update(f"setting:{n}" for n, v in shown.items() if isinstance(v, dict) and "setting" in v)
    return ids


def _recover(session: Any) -> None:
    """After a failed statement a PostgreSQL transaction must be rolled back before the next one."""
    import contextlib

    with contextlib.suppress(Exception):
        session.conn.rollback()
