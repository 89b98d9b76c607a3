"""MariaDB and MySQL plans into the one tree.

- MariaDB ``EXPLAIN FORMAT=JSON`` / ``ANALYZE FORMAT=JSON`` (``r_loops``, ``r_rows``,
  ``r_filtered``, ``r_table_time_ms``: measured figures are totals over the loops);
- MySQL 8 ``EXPLAIN FORMAT=JSON`` (``rows_examined_per_scan``, ``filtered``, ``cost_info``,
  numbers often as strings), and its version 2 (8.3+, ``explain_json_format_version=2``: the
  access-path tree of ``operation`` / ``inputs``, ``EXPLAIN ANALYZE FORMAT=JSON`` included);
- MySQL 8 ``EXPLAIN ANALYZE`` / ``FORMAT=TREE`` text (``-> Table scan on t  (cost=.. rows=..)
  (actual time=a..b rows=r loops=l)``, per-loop figures like PostgreSQL's).

A table access becomes a scan node named like PostgreSQL's where the meaning is the same
(``Table Scan`` is a full scan), so the rules read every engine the same way.
"""

from __future__ import annotations

import re
from typing import Any

from dbxray.errors import BadInput
from dbxray.plans.model import Node, Plan

ACCESS_TYPES = {
    "ALL": "Table Scan", "index": "Full Index Scan", "range": "Index Range Scan", "ref": "Index Lookup",
    "eq_ref": "Index Lookup", "ref_or_null": "Index Lookup", "const": "Const Lookup", "system": "Const Lookup",
    "index_merge": "Index Merge", "fulltext": "Fulltext Lookup", "unique_subquery": "Index Lookup",
    "index_subquery": "Index Lookup", "hash": "Hash Lookup",
}
# containers that become a node of their own, and the node type they get
CONTAINERS = {
    "nested_loop": "Nested Loop", "filesort": "Sort", "temporary_table": "Temporary Table",
    "block-nl-join": "Block Nested Loop", "duplicates_removal": "Duplicates Removal",
    "grouping_operation": "Aggregate", "ordering_operation": "Sort", "windowing": "Window",
    "union_result": "Union", "materialized": "Materialize", "having_condition": None,
}


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = re.match(r"^\s*([\d.]+(?:e[+-]?\d+)?)\s*([KMG]i?B)?\s*$", value, flags=re.IGNORECASE)
        if m:
            try:
                return float(m.group(1))
            except ValueError:
                return None
    return None


class _Builder:
    def __init__(self) -> None:
        self.next_id = 0
        self.analysed = False

    def node(self, node_type: str, raw: dict[str, Any]) -> Node:
        self.next_id += 1
        return Node(node_id=self.next_id, node_type=node_type, raw=raw)

    def query_block(self, block: Any, depth: int = 0) -> Node:
        if not isinstance(block, dict):
            raise BadInput("not a MySQL/MariaDB JSON plan: 'query_block' is not an object")
        if depth > 200:
            raise BadInput("not a MySQL/MariaDB JSON plan: nested too deeply")
        node = self.node("Query Block", _scalars(block))
        node.detail = f"select #{block.get('select_id')}" if block.get("select_id") is not None else ""
        self._timing(node, block)
        cost = block.get("cost_info", {}).get("query_cost") if isinstance(block.get("cost_info"), dict) else None
        node.total_cost = _num(cost) if cost is not None else _num(block.get("cost"))
        node.children.extend(self.contents(block, depth + 1))
        return node

    def contents(self, obj: dict[str, Any], depth: int) -> list[Node]:
        """The plan nodes inside one JSON object (a query block or a container)."""
        if depth > 200:
            raise BadInput("not a MySQL/MariaDB JSON plan: nested too deeply")
        out: list[Node] = []
        for key, value in obj.items():
            if key == "table" and isinstance(value, dict):
                out.append(self.table(value, depth))
            elif key == "nested_loop" and isinstance(value, list):
                parts: list[Node] = []
                for item in value:
                    if isinstance(item, dict):
                        parts.extend(self.contents(item, depth + 1))
                if len(parts) == 1:  # MariaDB wraps even a single table in a nested_loop
                    out.extend(parts)
                    continue
                loop = self.node("Nested Loop", {})
                loop.children.extend(parts)
                out.append(loop)
            elif key == "read_sorted_file" and isinstance(value, dict):
                out.extend(self.contents(value, depth + 1))
            elif key in ("subqueries", "query_specifications") and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        sub = item.get("query_block")
                        if isinstance(sub, dict):
                            child = self.query_block(sub, depth + 1)
                            child.subplan_name = "Subquery"
                            out.append(child)
                        else:
                            out.extend(self.contents(item, depth + 1))
            elif key == "query_block" and isinstance(value, dict):
                out.append(self.query_block(value, depth + 1))
            elif key in CONTAINERS and isinstance(value, dict):
                node_type = CONTAINERS[key]
                if node_type is None:
                    out.extend(self.contents(value, depth + 1))
                    continue
                if key == "ordering_operation" and not value.get("using_filesort"):
                    out.extend(self.contents(value, depth + 1))
                    continue
                node = self.node(node_type, _scalars(value))
                node.detail = str(value.get("sort_key") or value.get("join_type") or "")
                self._timing(node, value)
                if key == "filesort" and value.get("r_output_rows") is not None:
                    node.actual_rows = _num(value.get("r_output_rows"))
                node.children.extend(self.contents(value, depth + 1))
                out.append(node)
        return out

    def _timing(self, node: Node, obj: dict[str, Any]) -> None:
        loops = _num(obj.get("r_loops"))
        total = _num(obj.get("r_total_time_ms"))
        if loops is not None or total is not None:
            self.analysed = True
            node.actual_loops = loops if loops is not None else 1.0
            if total is not None:
                node.actual_total_ms = total / max(node.actual_loops, 1.0)

    def table(self, table: dict[str, Any], depth: int) -> Node:
        access = str(table.get("access_type") or "")
        node_type = ACCESS_TYPES.get(access, "Table Access")
        if node_type == "Full Index Scan" and table.get("using_index"):
            node_type = "Covering Index Scan"
        node = self.node(node_type, _scalars(table))
        node.relation = _text(table.get("table_name"))
        node.alias = node.relation
        node.index = _text(table.get("key"))
        node.filter = _text(table.get("attached_condition"))
        if isinstance(table.get("used_key_parts"), list):
            node.index_cond = ", ".join(map(str, table["used_key_parts"]))
        read = _num(table.get("rows_examined_per_scan", table.get("rows")))
        filtered = _num(table.get("filtered"))
        node.raw["plan_rows_read"] = read
        if read is not None:
            node.plan_rows = read * (filtered if filtered is not None else 100.0) / 100.0
        cost = table.get("cost_info") if isinstance(table.get("cost_info"), dict) else {}
        if cost:
            node.total_cost = (_num(cost.get("read_cost")) or 0.0) + (_num(cost.get("eval_cost")) or 0.0)
        r_rows = _num(table.get("r_rows"))
        if r_rows is not None or table.get("r_loops") is not None:
            self.analysed = True
            node.actual_loops = _num(table.get("r_loops")) or 0.0
            r_filtered = _num(table.get("r_filtered"))
            read_rows = r_rows or 0.0
            kept = read_rows * (r_filtered if r_filtered is not None else 100.0) / 100.0
            node.actual_rows = kept
            node.rows_removed_by_filter = max(0.0, read_rows - kept)
            times = [_num(table.get(k)) for k in ("r_table_time_ms", "r_other_time_ms", "r_total_time_ms")]
            total = (times[0] or 0.0) + (times[1] or 0.0) if times[0] is not None else times[2]
            if total is not None:
                node.actual_total_ms = total / max(node.actual_loops, 1.0)
        stats = table.get("r_engine_stats")
        if isinstance(stats, dict):
            node.buffers = {k: v for k, v in ((k, _num(v)) for k, v in stats.items()) if v is not None}
        node.detail = f"access {access}" + (f", key {node.index}" if node.index else "")
        for key in ("materialized",):
            if isinstance(table.get(key), dict):
                child = self.node("Materialize", {})
                child.children.extend(self.contents(table[key], depth + 1))
                node.children.append(child)
        return node


def _scalars(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not isinstance(v, (dict, list))}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def parse_mysql_json(data: Any, statement: str | None = None) -> Plan:
    """MariaDB or MySQL ``FORMAT=JSON`` output (MariaDB's ANALYZE too); the flavor is read from the shape."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict) or not isinstance(data.get("query_block"), dict):
        raise BadInput("not a MySQL/MariaDB JSON plan: no 'query_block' object")
    builder = _Builder()
    root = builder.query_block(data["query_block"])
    text = str(data)
    mysql = "rows_examined_per_scan" in text or "cost_info" in text
    flavor = "mysql" if mysql else "mariadb"
    plan = Plan(root=root, engine="mysql", flavor=flavor, source_format=f"{flavor}-json", raw=data,
                statement=statement)
    opt = data.get("query_optimization")
    if isinstance(opt, dict):
        plan.planning_ms = _num(opt.get("r_total_time_ms"))
    if root.actual_total_ms is not None:
        plan.execution_ms = root.actual_total_ms * max(root.loops, 1.0)
    return plan


def looks_like_mysql_json_v2(data: Any) -> bool:
    """MySQL 8.3+ ``explain_json_format_version=2``: the access-path tree (``operation``, ``inputs``),
    under ``query_plan`` in ``EXPLAIN FORMAT=JSON`` and at the top in ``EXPLAIN ANALYZE FORMAT=JSON``."""
    if not isinstance(data, dict):
        return False
    root = data.get("query_plan", data)
    return isinstance(root, dict) and isinstance(root.get("operation"), str)


def parse_mysql_json_v2(data: Any, statement: str | None = None) -> Plan:
    """MySQL JSON format version 2. Nodes carry the same ``operation`` text the tree format prints, plus
    table, index, estimates and (ANALYZE) per-loop actual figures: the node kinds are read like the tree's."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not looks_like_mysql_json_v2(data):
        raise BadInput("not a MySQL JSON (version 2) plan: no 'operation' in the root or 'query_plan'")
    next_id = 0
    analysed = False

    def build(obj: dict[str, Any]) -> Node:
        nonlocal next_id, analysed
        operation = str(obj.get("operation") or "")
        kind, fields = _tree_kind(operation)
        next_id += 1
        node = Node(node_id=next_id, node_type=kind, raw={"head": operation, **fields, **_scalars(obj)})
        node.relation = _text(obj.get("table_name")) or fields.get("relation")
        node.alias = _text(obj.get("alias")) or node.relation
        node.schema = _text(obj.get("schema_name"))
        node.index = _text(obj.get("index_name")) or fields.get("index")
        node.index_cond = _text(obj.get("lookup_condition")) or fields.get("index_cond")
        if isinstance(obj.get("ranges"), list) and not node.index_cond:
            node.index_cond = ", ".join(map(str, obj["ranges"]))
        node.filter = _text(obj.get("condition")) if obj.get("access_type") == "filter" else fields.get("filter")
        node.detail = operation if kind not in ("Table Scan",) else ""
        node.total_cost = _num(obj.get("estimated_total_cost"))
        node.startup_cost = _num(obj.get("estimated_first_row_cost"))
        node.plan_rows = _num(obj.get("estimated_rows"))
        if "actual_rows" in obj:
            analysed = True
            if obj["actual_rows"] is None:  # never executed
                node.actual_loops, node.actual_rows, node.actual_total_ms = 0.0, 0.0, 0.0
            else:
                node.actual_loops = _num(obj.get("actual_loops")) or 0.0
                node.actual_rows = _num(obj.get("actual_rows"))
                node.actual_startup_ms = _num(obj.get("actual_first_row_ms"))
                node.actual_total_ms = _num(obj.get("actual_last_row_ms"))
        if obj.get("heading"):
            node.subplan_name = str(obj["heading"])
        return node

    root_obj = data.get("query_plan", data)
    root = build(root_obj)
    stack = [(root_obj, root, 0)]
    while stack:
        obj, node, depth = stack.pop()
        if depth > 500:
            raise BadInput("not a MySQL JSON (version 2) plan: nested too deeply")
        for key in ("inputs", "inputs_from_select_list"):
            for child_obj in obj.get(key) or []:
                if isinstance(child_obj, dict):
                    child = build(child_obj)
                    if key == "inputs_from_select_list" and not child.subplan_name:
                        child.subplan_name = "Subquery"
                    node.children.append(child)
                    stack.append((child_obj, child, depth + 1))
    root = _fold_filters(root)
    plan = Plan(root=root, engine="mysql", flavor="mysql", source_format="mysql-json-v2", raw=data,
                statement=statement)
    if analysed and root.actual_total_ms is not None:
        plan.execution_ms = root.actual_total_ms * max(root.loops, 1.0)
    return plan


# ---------------------------------------------------------------------------------------------
# MySQL 8 tree text (EXPLAIN ANALYZE, EXPLAIN FORMAT=TREE)

_NUM = r"\d[\d.]*(?:e[+-]\d+)?"  # 8.0.33+ prints 1.2e+6 and 934e-6 (engineering format)
_TREE_LINE = re.compile(
    r"^(?P<indent>\s*)-> (?P<head>.*?)"
    rf"(?:\s+\((?:cost=(?P<cost>{_NUM})(?:\.\.(?P<cost2>{_NUM}))? )?rows=(?P<rows>{_NUM})\))?"
    rf"(?:\s+\(actual time=(?P<t1>{_NUM})\.\.(?P<t2>{_NUM}) rows=(?P<ar>{_NUM}) loops=(?P<al>{_NUM})\)"
    r"|\s+\((?P<never>never executed)\))?\s*$")


def looks_like_mysql_tree(text: str) -> bool:
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    first = first.strip()
    return first.startswith("-> ") or first.startswith("EXPLAIN: -> ") or \
        (bool(re.fullmatch(r"\*+ \d+\. row \*+", first)) and "-> " in text)


def _tree_kind(head: str) -> tuple[str, dict[str, Any]]:
    fields: dict[str, Any] = {}
    patterns = [
        (r"^Table scan on (\S+)", "Table Scan"),
        (r"^(?:Single-row )?[Ii]ndex lookup on (\S+) using (\S+) \((.*)\)", "Index Lookup"),
        (r"^(?:Single-row )?[Cc]overing index lookup on (\S+) using (\S+) \((.*)\)", "Covering Index Lookup"),
        (r"^Index range scan on (\S+)(?: using (\S+))?(?: over \((.*)\))?", "Index Range Scan"),
        (r"^Covering index range scan on (\S+) using (\S+)(?: over \((.*)\))?", "Index Range Scan"),
        (r"^Index scan on (\S+) using (\S+)", "Full Index Scan"),
        (r"^Covering index scan on (\S+) using (\S+)", "Covering Index Scan"),
        (r"^Constant row from (\S+)", "Const Lookup"),
    ]
    for pattern, kind in patterns:
        m = re.match(pattern, head)
        if m:
            fields["relation"] = m.group(1)
            if m.lastindex and m.lastindex >= 2 and m.group(2):
                fields["index"] = m.group(2)
            if m.lastindex and m.lastindex >= 3 and m.group(3):
                fields["index_cond"] = m.group(3)
            return kind, fields
    m = re.match(r"^Filter: (.*)$", head)
    if m:
        fields["filter"] = m.group(1)
        return "Filter", fields
    m = re.match(r"^Limit(?:/Offset)?: (\d+)(?:/(\d+))? row", head)
    if m:
        fields["limit"] = int(m.group(1))
        if m.group(2):
            fields["offset"] = int(m.group(2))
        return "Limit", fields
    m = re.match(r"^Nested loop (\w+(?: \w+)?) join", head)
    if m:
        fields["join_type"] = m.group(1)
        return "Nested Loop", fields
    m = re.match(r"^(?:(\w+) )?hash join(?: \((.*)\))?", head, flags=re.IGNORECASE)
    if m:
        fields["join_type"] = m.group(1) or "Inner"
        return "Hash Join", fields
    if head.startswith("Sort"):
        return "Sort", fields
    if head.startswith(("Aggregate", "Group aggregate")):
        return "Aggregate", fields
    return head.split(":")[0].split(" (")[0].strip() or "Operation", fields


def parse_mysql_tree(text: str, statement: str | None = None) -> Plan:
    """MySQL 8 ``EXPLAIN ANALYZE`` (or ``FORMAT=TREE``) text."""
    lines: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.rstrip()
        stripped = line.strip()
        if stripped.startswith("EXPLAIN:"):
            line = line.replace("EXPLAIN:", "", 1)
            stripped = line.strip()
        if not stripped or re.fullmatch(r"\*+ \d+\. row \*+", stripped):
            continue
        if lines and not stripped.startswith("->"):  # the manual's pages wrap "(actual time=...)" onto a new line
            lines[-1] += " " + stripped
        else:
            lines.append(line)
    stack: list[tuple[int, Node]] = []
    root: Node | None = None
    next_id = 0
    analysed = False
    for line in lines:
        if line.strip() in ("EXPLAIN",) or set(line.strip()) <= set("-+|* "):
            continue
        m = _TREE_LINE.match(line.strip("| ") if line.lstrip().startswith("|") else line)
        if not m:
            if stack:  # a long condition wrapped onto the next line
                stack[-1][1].detail += " " + line.strip()
                continue
            raise BadInput(f"not a MySQL EXPLAIN ANALYZE tree: cannot read the line {line.strip()[:80]!r}")
        indent = len(m.group("indent"))
        head = m.group("head")
        kind, fields = _tree_kind(head)
        next_id += 1
        node = Node(node_id=next_id, node_type=kind, raw={"head": head, **fields})
        node.relation = fields.get("relation")
        node.alias = node.relation
        node.index = fields.get("index")
        node.index_cond = fields.get("index_cond")
        node.filter = fields.get("filter")
        node.detail = head if kind not in ("Table Scan",) else ""
        node.total_cost = _num(m.group("cost2") or m.group("cost"))
        node.plan_rows = _num(m.group("rows"))
        if m.group("al") is not None:
            analysed = True
            node.actual_loops = float(m.group("al"))
            node.actual_rows = float(m.group("ar"))
            node.actual_startup_ms = float(m.group("t1"))
            node.actual_total_ms = float(m.group("t2"))
        elif m.group("never"):
            analysed = True
            node.actual_loops, node.actual_rows, node.actual_total_ms = 0.0, 0.0, 0.0
        if root is None:
            root = node
            stack.append((indent, node))
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if not stack:
            if not head.startswith("Select #"):
                raise BadInput(f"not a MySQL EXPLAIN ANALYZE tree: more than one root at {line.strip()[:60]!r}")
            node.subplan_name = "Subquery"  # a subquery of the SELECT list, printed at the root's level
            stack.append((indent - 1, root))
        stack[-1][1].children.append(node)
        stack.append((indent, node))
    if root is None:
        raise BadInput("empty plan")
    root = _fold_filters(root)
    plan = Plan(root=root, engine="mysql", flavor="mysql", source_format="mysql-tree", raw=text,
                statement=statement)
    if analysed and root.actual_total_ms is not None:
        plan.execution_ms = root.actual_total_ms * max(root.loops, 1.0)
    return plan


def _fold_filters(root: Node) -> Node:
    """``Filter`` over a single table access becomes that access's filter, as PostgreSQL shows it."""
    def fold(node: Node) -> Node:
        if node.node_type == "Filter" and len(node.children) == 1 and node.children[0].relation \
                and not node.children[0].children:
            scan = node.children[0]
            scan.filter = node.filter
            scan.raw["plan_rows_read"] = scan.plan_rows
            scan.plan_rows = node.plan_rows
            if scan.actual_rows is not None and node.actual_rows is not None:
                scan.rows_removed_by_filter = max(0.0, scan.actual_rows - node.actual_rows)
                scan.actual_rows = node.actual_rows
                scan.actual_total_ms = node.actual_total_ms if node.actual_total_ms is not None \
                    else scan.actual_total_ms
            return scan
        return node

    stack = [root]
    root = fold(root)
    stack = [root]
    while stack:
        cur = stack.pop()
        cur.children = [fold(c) for c in cur.children]
        stack.extend(cur.children)
    for number, node in enumerate(root.walk(), start=1):
        node.node_id = number
    return root


def resolve_aliases(plan: Plan, sql: str | None, default_db: str | None = None) -> Plan:
    """Plans name tables by their alias (``FROM orders o`` shows ``o``): map aliases back to the real
    ``db.table`` from the statement (sqlglot), so findings and their SQL name real tables."""
    if not sql:
        return plan
    try:
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="mysql")
    except Exception:
        return plan
    names = {}
    for table in tree.find_all(exp.Table):
        if table.name:
            names[table.alias_or_name] = (table.db or default_db or None, table.name)
    for node in plan.root.walk():
        if node.relation and node.relation in names:
            node.alias = node.relation
            node.schema, node.relation = names[node.alias]
        elif node.relation and default_db and not node.schema:
            node.schema = default_db
    return plan
