"""Markdown renderer: for tickets, wikis and pull-request comments."""

from __future__ import annotations

from typing import Any

from dbxray.report.layout import grouped

ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵"}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join("—" if v is None else _fmt(v) for v in value)
    return str(value)


def code(text: Any) -> str:
    """An inline code span that survives backticks inside (MySQL digests quote names with them)."""
    text = str(text).replace("\n", " ")
    if "`" not in text:
        return f"`{text}`"
    fence = "``" if "``" not in text else "```"
    return f"{fence} {text} {fence}"


def _object_label(obj: dict[str, Any]) -> str:
    parts = []
    for key in ("schema", "table", "index", "columns", "query_id", "sequence", "role", "setting", "node_id",
                "node_type", "relation", "pid", "extension"):
        if key in obj:
            parts.append(f"{key}: {code(_fmt(obj[key]))}")
    return " · ".join(parts)


def render_markdown(report) -> str:
    data = report.to_dict()
    t = data["target"]
    out = [f"# dbxray {data['kind']}: {t.get('flavor') or t.get('engine')} {t.get('server_version', '')} — "
           f"{code(t.get('database', ''))} on {code(t.get('host', ''))}", ""]
    counts = data["summary"]["findings"]
    out.append(f"Collected {data['collected_at']} in {data['collection'].get('duration_ms', 0):,.0f} ms · "
               f"**{counts['critical']} critical**, **{counts['warning']} warning**, {counts['info']} info")
    out.append("")
    for reason in data["summary"].get("incomplete") or []:
        out.append(f"> ❗ **Report incomplete:** {reason}")
    if data["summary"].get("incomplete"):
        out.append("")
    for note in data["summary"].get("notes", []):
        out.append(f"> ⚠️ {note}")
    if data["summary"].get("notes"):
        out.append("")
    diagnosis = data.get("diagnosis")
    if diagnosis is not None:
        out += diagnosis_section(diagnosis)
    plan = data.get("plan")
    if plan:
        out += _plan_section(plan)
    stmts = data["summary"].get("statements") or []
    if stmts:
        out += ["## Top statements by total time", "",
                "| # | query id | calls | total ms | share | mean ms | rows/call | query |",
                "|---|---|---:|---:|---:|---:|---:|---|"]
        for i, s in enumerate(stmts, 1):
            q = code(str(s.get("query", ""))[:120]).replace("|", "\\|")
            out.append(f"| {i} | {code(s.get('query_id'))} | {_fmt(s.get('calls'))} | {_fmt(s.get('total_ms'))} | "
                       f"{_fmt(s.get('share_pct'))}% | {_fmt(s.get('mean_ms'))} | {_fmt(s.get('rows_per_call'))} "
                       f"| {q} |")
        out.append("")
    changes = data["summary"].get("changes")
    if changes:
        out += [f"## Since the last run ({changes['since']})", "",
                f"{len(changes['new'])} new, {len(changes['resolved'])} resolved, {changes['unchanged']} unchanged.",
                ""]
        out += [f"- ➕ {ICON[f['severity']]} `{f['check']}` {f['title']}" for f in changes["new"]]
        out += [f"- ✅ resolved: `{f['check']}` {f['title']}" for f in changes["resolved"]]
        out.append("")
    groups, rest = grouped(data)
    if groups:
        out += ["## Bottlenecks", ""]
    for b, mine in groups:
        out += [f"### {b['rank']}. {ICON[b['severity']]} {b['title']}", ""]
        out += [f"`{b['kind']}` · confidence **{b['confidence']}** · {_object_label(b.get('object') or {})}", "",
                f"- **Cause:** {b['cause']}", f"- **Impact:** {b['impact']}",
                f"- **Fix:** {b['fix']['expected']} (risk: {b['fix']['risk']})", ""]
        if b["fix"].get("sql"):
            out += ["```sql", b["fix"]["sql"], "```", ""]
        if mine:
            out += [f"<details><summary>{len(mine)} finding(s) in this chain</summary>", ""]
            for f in mine:
                out += _finding(f, level="####")
            out += ["</details>", ""]
    out += ["## Other findings" if groups else "## Findings", ""]
    if not rest:
        out += ["No findings." if not data["findings"] else "None: every finding belongs to a bottleneck above.", ""]
    for f in rest:
        out += _finding(f)
    collectors = data["collection"].get("collectors", [])
    not_ok = [c for c in collectors if c["status"] != "ok"]
    if not_ok:
        out += ["## Collection", "", "| collector | status | detail |", "|---|---|---|"]
        for c in not_ok:
            out.append(f"| {c['name']} | {c['status']} | {str(c.get('detail', '')).replace('|', '/')} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _finding(f: dict[str, Any], level: str = "###") -> list[str]:
    source = " · 🤖 AI" if f.get("source") == "llm" else ""
    out = [f"{level} {ICON[f['severity']]} {f['severity'].upper()} · `{f['check']}` · {f['title']}{source}", ""]
    label = _object_label(f.get("object") or {})
    if label:
        out += [label, ""]
    if f.get("evidence"):
        out.append("Evidence: " + ", ".join(f"{k} = {_fmt(v)}" for k, v in f["evidence"].items() if v is not None))
        out.append("")
    if f.get("recommendation"):
        out += [f"**Fix:** {f['recommendation']}", ""]
    if f.get("sql"):
        out += ["```sql", f["sql"], "```", ""]
    return out


def diagnosis_section(diagnosis: dict[str, Any]) -> list[str]:
    """The diagnosis: the summary paragraph, "Fix first" with its SQL, and the ranked bottlenecks."""
    out = ["## Diagnosis", "", diagnosis.get("summary") or "", ""]
    bottlenecks = diagnosis.get("bottlenecks") or []
    first = next((b for b in bottlenecks if b["severity"] != "info"), None)
    if first is not None:
        out += [f"**Fix first:** {first['title']}", ""]
        if first["fix"].get("sql"):
            out += ["```sql", first["fix"]["sql"], "```", ""]
    if diagnosis.get("llm"):
        out += ai_review_section(diagnosis["llm"])
    if bottlenecks:
        out += ["| rank | kind | bottleneck | impact | confidence |", "|---:|---|---|---|---|"]
        for b in bottlenecks:
            cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
            out.append(f"| {b['rank']} | {b['kind']} | {ICON[b['severity']]} {cell(b['title'])} | "
                       f"{cell(b['impact'])} | {b['confidence']} |")
        out.append("")
    return out


def ai_review_section(llm: dict[str, Any]) -> list[str]:
    """The model's review, marked AI: summary, findings kept and dropped (with the reasons)."""
    out = [f"### 🤖 AI review ({code(llm.get('model'))})", ""]
    if llm.get("error"):
        return [*out, f"No AI review: {llm['error']['message']}. The rule report is complete.", ""]
    out += [llm.get("summary") or "", "",
            f"{llm.get('findings_kept', 0)} finding(s) kept ({len(llm.get('agreed') or [])} agree with a rule "
            f"finding), {llm.get('findings_dropped', 0)} dropped by grounding.", ""]
    for d in llm.get("dropped") or []:
        out.append(f"- dropped: {d.get('title') or d.get('check')}: {d.get('reason')}")
    if llm.get("dropped"):
        out.append("")
    return out


def _share(value: Any, unit: str = "") -> str:
    """A hot node's time or share; a plan that did not run has none (its nodes rank by cost)."""
    return "—" if value is None else f"{_fmt(value)}{unit}"


def _plan_section(plan: dict[str, Any]) -> list[str]:
    out = ["## Plan", ""]
    for key in ("total_ms", "planning_ms", "execution_ms", "total_cost"):
        if plan.get(key) is not None:
            out.append(f"- {key.replace('_', ' ')}: {_fmt(plan[key])}")
    hot = plan.get("hot_nodes") or []
    if hot:
        out += ["", "| node | type | relation | self ms | share |", "|---|---|---|---:|---:|"]
        for n in hot:
            out.append(f"| {n.get('node_id')} | {n.get('node_type')} | {n.get('relation') or ''} | "
                       f"{_share(n.get('self_ms'))} | {_share(n.get('self_pct'), '%')} |")
    tree = plan.get("text_tree")
    if tree:
        out += ["", "```", tree, "```"]
    out.append("")
    return out
