"""Where the time goes: exclusive (self) time per node, the hot path, the hot nodes.

The arithmetic follows what PostgreSQL reports, and avoids the classic plan-reader bugs:
times are per loop (multiply by loops); under a Gather the loops are spread over the
leader and the *launched* workers, which run at the same time (divide by the processes
that ran, not the workers planned); a CTE's subplan is paid by the CTE Scan that reads
it, not by the node it hangs under; an InitPlan/SubPlan is paid inside its parent.
"""

from __future__ import annotations

from typing import Any

from dbxray.plans.model import Node, Plan

GATHERS = ("Gather", "Gather Merge")


def annotate(plan: Plan) -> Plan:
    """Fill the derived fields of every node (depth, parent, processes, total/self time, hot path)."""
    leader_helps = plan.settings.get("parallel_leader_participation", "on") != "off"
    stack: list[tuple[Node, Node | None, int, int]] = [(plan.root, None, 0, 1)]
    order: list[Node] = []
    while stack:
        node, parent, depth, processes = stack.pop()
        node.parent, node.depth, node.processes = parent, depth, processes
        node.may_stop_early = node.subplan_name is not None or node.parent_relationship == "SubPlan" or (
            parent is not None and (parent.may_stop_early or parent.node_type in ("Limit", "Merge Join")
                                    or parent.raw.get("Join Type") in ("Semi", "Anti", "Right Anti")))
        order.append(node)
        child_processes = processes
        if node.node_type in GATHERS:
            launched = node.workers_launched if node.workers_launched is not None else node.workers_planned
            child_processes = max(1, (launched or 0) + (1 if leader_helps else 0))
        for child in reversed(node.children):
            stack.append((child, node, depth + 1, child_processes))
    for node in reversed(order):  # children first: a container without its own timing sums its children
        node.total_ms = _wall_ms(node)
        if node.total_ms is None and node.children and any(c.total_ms is not None for c in node.children):
            node.total_ms = sum(c.total_ms or 0.0 for c in _counted_children(node))
    ctes = {n.subplan_name[4:]: n for n in order if n.subplan_name and n.subplan_name.startswith("CTE ")}
    paid: set[str] = set()
    for node in order:  # pre-order: the first CTE Scan of a CTE pays for it
        node.self_ms = _self_ms(node, ctes, paid)
        node.self_cost = _self_cost(node)
    reference = plan.execution_ms if plan.execution_ms else plan.root.total_ms
    for node in order:
        if node.self_ms is not None and reference:
            node.self_pct = 100.0 * node.self_ms / reference
    _mark_hot_path(plan.root)
    return plan


def _wall_ms(node: Node) -> float | None:
    if node.actual_loops is None or node.actual_total_ms is None:
        return None
    loops = node.actual_loops
    if loops <= 0:
        return 0.0
    return node.actual_total_ms * loops / max(1.0, min(float(node.processes), loops))


def _counted_children(node: Node) -> list[Node]:
    """Children whose time is inside this node's time (not a CTE's subplan: its reader pays)."""
    return [c for c in node.children if not (c.subplan_name or "").startswith("CTE ")]


def _self_ms(node: Node, ctes: dict[str, Node], paid: set[str]) -> float | None:
    if node.total_ms is None:
        return None
    own = node.total_ms - sum(c.total_ms or 0.0 for c in _counted_children(node))
    if node.node_type == "CTE Scan" and node.cte_name in ctes and node.cte_name not in paid:
        paid.add(node.cte_name)
        own -= ctes[node.cte_name].total_ms or 0.0
    return max(0.0, own)


def _self_cost(node: Node) -> float | None:
    if node.total_cost is None:
        return None
    return max(0.0, node.total_cost - sum(c.total_cost or 0.0 for c in _counted_children(node)))


def _mark_hot_path(root: Node) -> None:
    """From the root, follow the child that costs the most (time if analysed, else cost)."""
    node: Node | None = root
    while node is not None:
        node.on_hot_path = True
        kids = [c for c in node.children if c.total_ms or c.total_cost]
        if not kids:
            break
        node = max(kids, key=lambda c: (c.total_ms if c.total_ms is not None else -1.0, c.total_cost or 0.0))


def hot_nodes(plan: Plan, limit: int = 5) -> list[dict[str, Any]]:
    """The nodes that cost the most on their own: by exclusive time, else by exclusive cost."""
    nodes = plan.nodes()
    timed = [n for n in nodes if n.self_ms is not None]
    if timed:
        ranked = sorted(timed, key=lambda n: -(n.self_ms or 0.0))[:limit]
        return [{"node_id": n.node_id, "node_type": n.node_type, "relation": n.relation,
                 "self_ms": round(n.self_ms or 0.0, 3), "self_pct": round(n.self_pct or 0.0, 1)} for n in ranked]
    costed = [n for n in nodes if n.self_cost is not None]
    total = plan.root.total_cost or 0.0
    ranked = sorted(costed, key=lambda n: -(n.self_cost or 0.0))[:limit]
    return [{"node_id": n.node_id, "node_type": n.node_type, "relation": n.relation, "self_ms": None,
             "self_pct": None, "self_cost": round(n.self_cost or 0.0, 2),
             "self_cost_pct": round(100.0 * (n.self_cost or 0.0) / total, 1) if total else None} for n in ranked]


def hot_path(plan: Plan) -> list[int]:
    return [n.node_id for n in plan.root.walk() if n.on_hot_path]
