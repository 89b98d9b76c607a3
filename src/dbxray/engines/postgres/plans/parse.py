"""PostgreSQL plans into the one tree: ``EXPLAIN (FORMAT JSON)`` and the text format.

The JSON parser validates as it goes (every node an object with a ``Node Type``, numbers
where numbers belong) so a wrong file is one clear ``BadInput`` line, never a traceback
from deep inside the analysis.
"""

from __future__ import annotations

import re
from typing import Any

from dbxray.errors import BadInput
from dbxray.plans.model import Node, Plan

_NUMERIC = {
    "Startup Cost": "startup_cost", "Total Cost": "total_cost", "Plan Rows": "plan_rows",
    "Actual Rows": "actual_rows", "Actual Loops": "actual_loops", "Actual Startup Time": "actual_startup_ms",
    "Actual Total Time": "actual_total_ms", "Rows Removed by Filter": "rows_removed_by_filter",
    "Rows Removed by Index Recheck": "rows_removed_by_recheck",
    "Rows Removed by Join Filter": "rows_removed_by_join_filter",
}
_TEXT = {
    "Relation Name": "relation", "Schema": "schema", "Alias": "alias", "Index Name": "index",
    "Filter": "filter", "Index Cond": "index_cond", "Recheck Cond": "recheck_cond", "Join Filter": "join_filter",
    "Parent Relationship": "parent_relationship", "Subplan Name": "subplan_name", "CTE Name": "cte_name",
}
_BUFFERS = {
    "Shared Hit Blocks": "shared_hit", "Shared Read Blocks": "shared_read", "Shared Dirtied Blocks": "shared_dirtied",
    "Shared Written Blocks": "shared_written", "Local Hit Blocks": "local_hit", "Local Read Blocks": "local_read",
    "Local Dirtied Blocks": "local_dirtied", "Local Written Blocks": "local_written",
    "Temp Read Blocks": "temp_read", "Temp Written Blocks": "temp_written", "I/O Read Time": "io_read_ms",
    "I/O Write Time": "io_write_ms", "Shared I/O Read Time": "io_read_ms", "Shared I/O Write Time": "io_write_ms",
    "Temp I/O Read Time": "temp_io_read_ms", "Temp I/O Write Time": "temp_io_write_ms",
}
# read by the rules from ``raw``: checked here so a wrong file fails as BadInput, not in a rule
_RAW_NUMERIC = ("Heap Fetches", "Hash Batches", "Original Hash Batches", "Hash Buckets", "Original Hash Buckets",
                "Peak Memory Usage", "Sort Space Used", "Exact Heap Blocks", "Lossy Heap Blocks", "HashAgg Batches",
                "Disk Usage", "Memory Usage", "Planned Partitions")
_DETAIL_KEYS = ("Hash Cond", "Merge Cond", "Index Cond", "Sort Key", "Group Key", "Join Filter", "Recheck Cond")


def _number(value: Any, key: str, node_type: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInput(f"not a PostgreSQL JSON plan: {key!r} of a {node_type} node is {value!r}, not a number")
    return float(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _detail(data: dict[str, Any]) -> str:
    parts = []
    if data.get("Join Type") and data.get("Join Type") != "Inner":
        parts.append(f"{data['Join Type']} join")
    if data.get("Strategy") and data.get("Node Type") == "Aggregate":
        parts.append(str(data["Strategy"]).lower())
    for key in _DETAIL_KEYS:
        if data.get(key):
            parts.append(f"{key}: {_text(data[key])}")
            break
    return "  ".join(parts)


def node_from_json(data: Any, ids: list[int] | None = None) -> Node:
    """Turn one EXPLAIN JSON node (and its ``Plans``) into Nodes, iteratively (plans can be deep)."""
    ids = ids if ids is not None else [0]
    root: Node | None = None
    stack: list[tuple[Any, Node | None]] = [(data, None)]
    while stack:
        item, parent = stack.pop()
        node = _one_node(item, ids)
        if parent is None:
            root = node
        else:
            parent.children.append(node)
        children = item.get("Plans") or []
        if not isinstance(children, list):
            raise BadInput(f"not a PostgreSQL JSON plan: 'Plans' of a {node.node_type} node is not a list")
        for child in reversed(children):
            stack.append((child, node))
    assert root is not None
    return root


def _one_node(item: Any, ids: list[int]) -> Node:
    if not isinstance(item, dict):
        raise BadInput(f"not a PostgreSQL JSON plan: a plan node is a {type(item).__name__}, not an object")
    node_type = item.get("Node Type")
    if not isinstance(node_type, str) or not node_type:
        raise BadInput("not a PostgreSQL JSON plan: a node has no 'Node Type'")
    ids[0] += 1
    node = Node(node_id=ids[0], node_type=node_type, raw=item)  # the engine's own fields (children too: no copy)
    for key, attr in _NUMERIC.items():
        setattr(node, attr, _number(item.get(key), key, node_type))
    for key, attr in _TEXT.items():
        setattr(node, attr, _text(item.get(key)))
    node.plan_width = int(_number(item.get("Plan Width"), "Plan Width", node_type) or 0) or None
    for key in _RAW_NUMERIC:
        _number(item.get(key), key, node_type)
    workers = item.get("Workers")
    if workers is not None:
        if not isinstance(workers, list):
            raise BadInput(f"not a PostgreSQL JSON plan: 'Workers' of a {node_type} node is not a list")
        for worker in workers:
            if isinstance(worker, dict):
                for key in (*_RAW_NUMERIC, "Actual Total Time", "Actual Rows", "Actual Loops"):
                    _number(worker.get(key), key, f"{node_type} worker")
    for key, attr in _BUFFERS.items():
        value = _number(item.get(key), key, node_type)
        if value is not None:
            node.buffers[attr] = node.buffers.get(attr, 0.0) + value
    planned = _number(item.get("Workers Planned"), "Workers Planned", node_type)
    launched = _number(item.get("Workers Launched"), "Workers Launched", node_type)
    node.workers_planned = int(planned) if planned is not None else None
    node.workers_launched = int(launched) if launched is not None else None
    if item.get("Parallel Aware") and not node.node_type.startswith("Parallel"):
        node.node_type = f"Parallel {node.node_type}"
    node.detail = _detail(item)
    return node


def _root_object(data: Any) -> dict[str, Any]:
    if isinstance(data, list):
        if len(data) != 1:
            raise BadInput(f"not a PostgreSQL JSON plan: expected one plan, found a list of {len(data)}")
        data = data[0]
    if isinstance(data, dict) and "QUERY PLAN" in data:  # psql \gset / some GUI exports
        return _root_object(data["QUERY PLAN"])
    if not isinstance(data, dict) or not isinstance(data.get("Plan"), dict):
        raise BadInput("not a PostgreSQL JSON plan: no top-level 'Plan' object (use EXPLAIN (FORMAT JSON))")
    return data


def parse_pg_json(data: Any, statement: str | None = None) -> Plan:
    """A Plan from the parsed JSON of ``EXPLAIN (FORMAT JSON, ...)`` (the list or its one element)."""
    top = _root_object(data)
    root = node_from_json(top["Plan"])
    plan = Plan(root=root, engine="postgres", flavor="postgres", source_format="pg-json", raw=top,
                statement=statement)
    plan.planning_ms = _number(top.get("Planning Time"), "Planning Time", "top-level")
    plan.execution_ms = _number(top.get("Execution Time"), "Execution Time", "top-level")
    if isinstance(top.get("JIT"), dict):
        plan.jit = top["JIT"]
        timing = plan.jit.get("Timing")
        if timing is not None and not isinstance(timing, dict):
            raise BadInput("not a PostgreSQL JSON plan: 'JIT' 'Timing' is not an object")
    if isinstance(top.get("Settings"), dict):
        plan.settings = {str(k): str(v) for k, v in top["Settings"].items()}
    if isinstance(top.get("Triggers"), list):
        plan.triggers = [t for t in top["Triggers"] if isinstance(t, dict)]
        for trig in plan.triggers:
            for key in ("Time", "Calls"):
                _number(trig.get(key), key, "trigger")
    return plan


# ---------------------------------------------------------------------------------------------
# Text format

_HEADER = re.compile(
    r"^(?P<head>.*?)(?:\s+\(cost=(?P<sc>[\d.]+)\.\.(?P<tc>[\d.]+) rows=(?P<rows>[\d.]+) width=(?P<w>\d+)\))?"
    r"(?:\s+\((?:actual (?:time=(?P<ast>[\d.]+)\.\.(?P<att>[\d.]+) )?rows=(?P<ar>[\d.]+) loops=(?P<al>\d+)"
    r"|(?P<never>never executed))\))?\s*$")
_SUBPLAN = re.compile(r"^(InitPlan|SubPlan|CTE)\s+(\S.*?)\s*$")
_JOIN = re.compile(r"^(?:(Hash|Merge)(?: (Left|Right|Full|Semi|Anti|Right Semi|Right Anti))? Join"
                   r"|(Nested Loop)(?: (Left|Right|Full|Semi|Anti|Right Semi|Right Anti) Join)?)$")
_AGG = {"HashAggregate": "Hashed", "GroupAggregate": "Sorted", "MixedAggregate": "Mixed", "Aggregate": "Plain"}
_KB = re.compile(r"([\d.]+)\s*kB")


def _canonical(head: str) -> tuple[str, dict[str, Any]]:
    """Text headers -> JSON node type and fields: ``Hash Left Join`` -> Hash Join / Left."""
    fields: dict[str, Any] = {}
    text = head.strip()
    if text.startswith("Parallel "):
        fields["Parallel Aware"] = True
        text = text[len("Parallel "):]
    for mode in ("Partial ", "Finalize "):
        if text.startswith(mode):
            fields["Partial Mode"] = mode.strip()
            text = text[len(mode):]
    m = re.match(r"^(Insert|Update|Delete|Merge) on (\S+)(?: (\S+))?$", text)
    if m:
        fields.update({"Operation": m.group(1), **_relation(m.group(2), m.group(3))})
        return "ModifyTable", fields
    m = re.match(r"^(.*?) using (\S+) on (\S+)(?: (\S+))?$", text)  # Index [Only] Scan [Backward] using i on t a
    if m:
        kind = m.group(1)
        if kind.endswith(" Backward"):
            fields["Scan Direction"] = "Backward"
            kind = kind[: -len(" Backward")]
        fields.update({"Index Name": m.group(2), **_relation(m.group(3), m.group(4))})
        return kind, fields
    m = re.match(r"^(Bitmap Index Scan) on (\S+)$", text)
    if m:
        fields["Index Name"] = m.group(2)
        return m.group(1), fields
    m = re.match(r"^(.*? Scan) on (\S+)(?: (\S+))?$", text)
    if m:
        kind = m.group(1)
        if kind == "CTE Scan":
            fields["CTE Name"] = m.group(2)
            fields["Alias"] = m.group(3) or m.group(2)
        elif kind in ("Function Scan", "Subquery Scan", "Values Scan", "WorkTable Scan", "Table Function Scan"):
            fields["Alias"] = m.group(3) or m.group(2)
        else:
            fields.update(_relation(m.group(2), m.group(3)))
        return kind, fields
    m = _JOIN.match(text)
    if m:
        node_type = "Nested Loop" if m.group(3) else f"{m.group(1)} Join"
        fields["Join Type"] = m.group(2) or m.group(4) or "Inner"
        return node_type, fields
    if text in _AGG:
        fields["Strategy"] = _AGG[text]
        return "Aggregate", fields
    if text == "HashSetOp" or text == "SetOp":
        return "SetOp", fields
    return text, fields


def _relation(name: str, alias: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "." in name and not name.startswith('"'):
        schema, rel = name.split(".", 1)
        out["Schema"] = schema
        name = rel
    out["Relation Name"] = name.strip('"')
    out["Alias"] = (alias or name).strip('"')
    return out


def _strip_psql(lines: list[str]) -> list[str]:
    """Drop psql's ``QUERY PLAN`` header, rule, ``(N rows)`` footer and line-continuation marks."""
    out = []
    for line in lines:
        stripped = line.strip()
        if stripped in ("QUERY PLAN", "") or re.fullmatch(r"-+", stripped) or re.fullmatch(r"\(\d+ rows?\)", stripped):
            continue
        if line.endswith("+"):
            line = line[:-1].rstrip()
        out.append(line.replace("\t", "    "))
    if out and all(line.startswith(" ") for line in out):
        indent = min(len(line) - len(line.lstrip()) for line in out)
        out = [line[indent:] for line in out]
    return out


def looks_like_pg_text(text: str) -> bool:
    first = next((ln for ln in _strip_psql(text.splitlines())), "")
    return bool(re.search(r"\(cost=[\d.]+\.\.[\d.]+ rows=\d", first) or re.search(r"\(actual (time|rows)=", first))


def parse_pg_text(text: str, statement: str | None = None) -> Plan:
    """A Plan from ``EXPLAIN`` text output (with or without ANALYZE/BUFFERS), psql frames tolerated."""
    lines = _strip_psql(text.splitlines())
    if not lines:
        raise BadInput("empty plan")
    top: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = []  # (column of the node's arrow, json-like node)
    root: dict[str, Any] | None = None
    pending_subplan: str | None = None
    current: dict[str, Any] | None = None
    in_jit = False
    for line in lines:
        col = len(line) - len(line.lstrip())
        body = line.strip()
        is_node = body.startswith("->") or root is None
        if is_node:
            in_jit = False
            arrow_col = col if body.startswith("->") else -1
            head = body[2:].strip() if body.startswith("->") else body
            m = _HEADER.match(head)
            if not m or (root is None and not (m.group("sc") or m.group("ar") or m.group("never"))):
                raise BadInput(f"not a PostgreSQL plan: cannot read the line {body[:80]!r}")
            node_type, fields = _canonical(m.group("head"))
            node: dict[str, Any] = {"Node Type": node_type, **fields, "Plans": []}
            for key, group, conv in (("Startup Cost", "sc", float), ("Total Cost", "tc", float),
                                     ("Plan Rows", "rows", float), ("Plan Width", "w", int),
                                     ("Actual Startup Time", "ast", float), ("Actual Total Time", "att", float),
                                     ("Actual Rows", "ar", float), ("Actual Loops", "al", float)):
                if m.group(group) is not None:
                    node[key] = conv(m.group(group))
            if m.group("never"):
                node.update({"Actual Rows": 0.0, "Actual Loops": 0.0})
            if pending_subplan:
                node["Subplan Name"] = pending_subplan
                node["Parent Relationship"] = pending_subplan.split()[0]
                pending_subplan = None
            if root is None:
                root = node
            else:
                while stack and stack[-1][0] >= arrow_col:
                    stack.pop()
                if not stack:
                    raise BadInput(f"not a PostgreSQL plan: misplaced line {body[:80]!r}")
                stack[-1][1]["Plans"].append(node)
            stack.append((arrow_col, node))
            current = node
            continue
        sub = _SUBPLAN.match(body)
        if sub and ":" not in body.split("(")[0]:
            pending_subplan = body if sub.group(1) != "CTE" else f"CTE {sub.group(2)}"
            continue
        if in_jit or body == "JIT:":
            in_jit = True
            _jit_line(top, body)
            continue
        _property(top, current, body)
    assert root is not None
    top["Plan"] = root
    return _from_text_top(top, statement)


def _from_text_top(top: dict[str, Any], statement: str | None) -> Plan:
    plan = parse_pg_json(top, statement)
    plan.source_format = "pg-text"
    return plan


def _jit_line(top: dict[str, Any], body: str) -> None:
    jit = top.setdefault("JIT", {})
    if body.startswith("Functions:"):
        jit["Functions"] = int(body.split(":", 1)[1])
    elif body.startswith("Timing:"):
        timing = {}
        for name, value in re.findall(r"(\w+) ([\d.]+) ms", body):
            timing[name] = float(value)
        jit["Timing"] = timing
    elif body.startswith("Options:"):
        jit["Options"] = {k.strip(): v.strip() == "true" for k, v in
                          (p.strip().rsplit(" ", 1) for p in body.split(":", 1)[1].split(",") if " " in p.strip())}


def _property(top: dict[str, Any], node: dict[str, Any] | None, body: str) -> None:
    """One ``Key: value`` line under a node (or at the end, for the statement-level ones)."""
    key, _, value = body.partition(":")
    key, value = key.strip(), value.strip()
    if key in ("Planning Time", "Execution Time"):
        top[key] = float(value.split()[0])
        return
    if key in ("Planning", "Settings") and not value and key == "Planning":
        return
    if key == "Settings":
        top["Settings"] = dict((k.strip(), v.strip().strip("'")) for k, _, v in
                               (p.partition("=") for p in value.split(", ")) if k)
        return
    if key.startswith("Trigger "):
        # "Trigger RI_ConstraintTrigger_a_1 [for constraint child_fkey] [on parent]: time=1.2 calls=3"
        # (VERBOSE names the trigger; without it: "Trigger for constraint child_fkey: time=...")
        m = re.match(r"Trigger(?: (?!for constraint )(\S+))?(?: for constraint (\S+))?(?: on (\S+))?: "
                     r"time=([\d.]+) calls=(\d+)", body)
        if m:
            trig = {"Trigger Name": m.group(1) or f"for constraint {m.group(2)}", "Relation": m.group(3),
                    "Time": float(m.group(4)), "Calls": int(m.group(5))}
            if m.group(2):
                trig["Constraint Name"] = m.group(2)
            top.setdefault("Triggers", []).append(trig)
        return
    if node is None:
        return
    if key in ("Rows Removed by Filter", "Rows Removed by Index Recheck", "Rows Removed by Join Filter",
               "Heap Fetches", "Workers Planned", "Workers Launched", "Planned Partitions", "Peak Memory Usage"):
        node[key] = float(value.split()[0].rstrip("kB")) if value else 0.0
    elif key == "Sort Method":
        m = re.match(r"(.+?)\s+(Memory|Disk):\s*(\d+)kB", value)
        if m:
            node.update({"Sort Method": m.group(1).strip(), "Sort Space Type": m.group(2),
                         "Sort Space Used": float(m.group(3))})
        else:
            node["Sort Method"] = value
    elif key == "Buckets":
        for name, json_key in (("Buckets", "Hash Buckets"), ("Batches", "Hash Batches")):
            m = re.search(name + r": (\d+)(?: \(originally (\d+)\))?", body)
            if m:
                node[json_key] = float(m.group(1))
                node[f"Original {json_key}"] = float(m.group(2) or m.group(1))
        m = re.search(r"Memory Usage: (\d+)kB", body)
        if m:
            node["Peak Memory Usage"] = float(m.group(1))
    elif key == "Batches":  # HashAggregate (PG 13+): Batches: 5  Memory Usage: 8241kB  Disk Usage: 22560kB
        m = re.match(r"(\d+)", value)
        node["HashAgg Batches"] = float(m.group(1)) if m else 0.0
        for name in ("Memory Usage", "Disk Usage"):
            mm = re.search(name + r": (\d+)kB", body)
            if mm:
                node[name] = float(mm.group(1))
    elif key == "Heap Blocks":
        for name, json_key in (("exact", "Exact Heap Blocks"), ("lossy", "Lossy Heap Blocks")):
            m = re.search(name + r"=(\d+)", value)
            node[json_key] = float(m.group(1)) if m else 0.0
    elif key == "Buffers":
        for scope, rest in re.findall(r"(shared|local|temp)((?: (?:hit|read|dirtied|written)=\d+)+)", value):
            for kind, number in re.findall(r"(hit|read|dirtied|written)=(\d+)", rest):
                node[f"{scope.capitalize()} {kind.capitalize()} Blocks"] = float(number)
    elif key == "I/O Timings":
        for kind, number in re.findall(r"(read|write)=([\d.]+)", value):
            node[f"I/O {kind.capitalize()} Time"] = float(number)
    elif key in ("Filter", "Index Cond", "Recheck Cond", "Join Filter", "Hash Cond", "Merge Cond", "Sort Key",
                 "Group Key", "Output", "Presorted Key", "Cache Key", "One-Time Filter"):
        node[key] = value
    elif key.startswith("Worker ") and "actual" in value:
        m = re.search(r"actual time=([\d.]+)\.\.([\d.]+) rows=([\d.]+) loops=(\d+)", value)
        if m:
            node.setdefault("Workers", []).append({"Worker Number": int(key.split()[1]),
                                                   "Actual Total Time": float(m.group(2)),
                                                   "Actual Rows": float(m.group(3)),
                                                   "Actual Loops": float(m.group(4))})
    elif value:
        node.setdefault(key, value)
