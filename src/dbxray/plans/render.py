"""The plan as a tree a person reads: time bars, row estimates, and each finding beside its node.

``text_tree`` is plain text (it goes into JSON and Markdown); ``render_terminal`` is the same
tree with colour for the terminal. Both are built line by line without recursion, so a plan
of thousands of nodes renders in a fraction of a second.
"""

from __future__ import annotations

import io
from typing import Any

from dbxray.findings import Finding
from dbxray.plans.model import Node, Plan

BAR_WIDTH = 10
SEVERITY_STYLE = {"critical": "bold red", "warning": "bold yellow", "info": "cyan"}
SEVERITY_MARK = {"critical": "!!", "warning": "! ", "info": "i "}


def _bar(share: float | None) -> str:
    if share is None:
        return ""
    cells = max(0.0, min(1.0, share)) * BAR_WIDTH
    full = int(cells)
    half = "▌" if cells - full >= 0.5 and full < BAR_WIDTH else ""
    return ("█" * full + half).ljust(BAR_WIDTH, "·")


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _metrics(node: Node, plan: Plan) -> str:
    parts = []
    if node.analysed:
        if node.never_executed:
            return "never executed"
        if node.self_ms is not None:  # none with TIMING OFF
            parts.append(f"{node.self_ms:,.2f} ms self ({node.self_pct or 0.0:.0f}%)")
        if node.total_ms is not None and node.children:
            parts.append(f"{node.total_ms:,.2f} ms total")
        rows = f"rows {_num(node.actual_rows)} of {_num(node.plan_rows)} est"
        if node.loops and node.loops != 1:
            rows += f" x{node.loops:,.0f} loops"
        parts.append(rows)
    else:
        if node.total_cost is not None:
            parts.append(f"cost {node.total_cost:,.2f}")
        if node.plan_rows is not None:
            parts.append(f"rows {_num(node.plan_rows)} est")
    return "  ".join(parts)


def _share(node: Node, plan: Plan) -> float | None:
    if node.self_pct is not None:
        return node.self_pct / 100.0
    total = plan.root.total_cost
    if node.self_cost is not None and total:
        return node.self_cost / total
    return None


def _lines(plan: Plan, findings: list[Finding]) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """(guide prefix, bar, node text, [(style, extra line)]) for every node, in tree order."""
    by_node: dict[int, list[Finding]] = {}
    for f in findings:
        node_id = f.object.get("node_id")
        if node_id is not None:
            by_node.setdefault(int(node_id), []).append(f)
    out = []
    stack: list[tuple[Node, str, bool, bool]] = [(plan.root, "", True, True)]
    while stack:
        node, prefix, last, is_root = stack.pop()
        guide = "" if is_root else prefix + ("└─ " if last else "├─ ")
        child_prefix = "" if is_root else prefix + ("   " if last else "│  ")
        head = f"[{node.node_id}] {node.label()}  {_metrics(node, plan)}"
        extra: list[tuple[str, str]] = []
        if node.detail:
            extra.append(("dim", node.detail))
        if node.filter:
            removed = node.removed_total("filter")
            extra.append(("dim", f"Filter: {node.filter}" + (f"  (removed {removed:,.0f})" if removed else "")))
        for f in by_node.get(node.node_id, []):
            extra.append((f.severity, f"{SEVERITY_MARK[f.severity]}{f.check}: {f.title}"))
        out.append((guide, _bar(_share(node, plan)), head, [(s, child_prefix + "   " + t) for s, t in extra]))
        kids = node.children
        for i in range(len(kids) - 1, -1, -1):
            stack.append((kids[i], child_prefix, i == len(kids) - 1, False))
    return out


def _summary(plan: Plan) -> str:
    parts = [f"{plan.flavor} plan ({plan.source_format})"]
    if plan.execution_ms is not None:
        parts.append(f"execution {plan.execution_ms:,.2f} ms")
    if plan.planning_ms is not None:
        parts.append(f"planning {plan.planning_ms:,.2f} ms")
    if plan.root.total_cost is not None:
        parts.append(f"cost {plan.root.total_cost:,.2f}")
    if not plan.analysed:
        parts.append("not executed: estimates only (use --analyze for real times)")
    for trig in plan.triggers:
        parts.append(f"trigger {trig.get('Trigger Name')}: {trig.get('Time', 0):,.2f} ms x{trig.get('Calls', 0)}")
    return "  ·  ".join(parts)


def text_tree(plan: Plan, findings: list[Finding] | None = None) -> str:
    """The plan as plain text: one line per node, its bar, its numbers, then its details and findings."""
    rows = [_summary(plan)]
    for guide, bar, head, extra in _lines(plan, findings or []):
        rows.append(f"{bar} {guide}{head}" if bar else f"{' ' * BAR_WIDTH} {guide}{head}")
        rows.extend(f"{' ' * BAR_WIDTH} {text}" for _style, text in extra)
    return "\n".join(rows)


def render_terminal(plan: Plan, findings: list[Finding], color: bool = True) -> str:
    """The tree with colours: hot bars red, findings in their severity's colour.

    Styles are rich's (``Style.render``), applied line by line: a rich ``Text``/``Tree`` of ten
    thousand nodes takes seconds to lay out, this takes milliseconds.
    """
    paint = _painter(color)
    out = io.StringIO()
    out.write(paint("bold", _summary(plan)) + "\n")
    for guide, bar, head, extra in _lines(plan, findings):
        share = bar.count("█") / BAR_WIDTH if bar else 0.0
        bar_style = "red" if share >= 0.4 else "yellow" if share >= 0.1 else "green"
        out.write(paint(bar_style, bar or " " * BAR_WIDTH) + " " + paint("dim", guide)
                  + (paint("bold", head) if share >= 0.4 else head) + "\n")
        for style, line in extra:
            out.write(" " * (BAR_WIDTH + 1) + paint(SEVERITY_STYLE.get(style, style), line) + "\n")
    return out.getvalue()


def _painter(color: bool):
    if not color:
        return lambda _style, text: text
    from functools import lru_cache

    from rich.color import ColorSystem
    from rich.style import Style

    @lru_cache(maxsize=32)
    def style_of(name: str) -> Style:
        return Style.parse(name)

    return lambda name, text: style_of(name).render(text, color_system=ColorSystem.STANDARD) if text else text


def hot_nodes_line(hot: list[dict[str, Any]]) -> str:
    return ", ".join(f"#{h['node_id']} {h['node_type']} {h.get('self_pct') or 0:.0f}%" for h in hot)
