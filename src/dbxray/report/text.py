"""Terminal renderer (rich): the report an on-call engineer reads first."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from dbxray.report.layout import grouped
from dbxray.units import human_bytes

STYLE = {"critical": "bold red", "warning": "bold yellow", "info": "cyan"}


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join("—" if v is None else _fmt(v) for v in value)
    return str(value)


def _bytes(n: Any) -> str:
    return human_bytes(n, missing="—")


def render_text(report, color: bool | None = None, width: int | None = None, body: str | None = None) -> str:
    """The terminal report. ``body``: text already rendered for the middle (``dbxray explain`` puts its
    plan tree there, findings beside their nodes), in place of the plan panel and statements table."""
    def console_on(buf: io.StringIO) -> Console:
        return Console(file=buf, force_terminal=bool(color), color_system="auto" if color else None,
                       width=width or 110, soft_wrap=False)

    head, tail = io.StringIO(), io.StringIO()
    data = report.to_dict()
    _header(console_on(head), data)
    console = console_on(tail)
    if data.get("diagnosis") is not None:
        diagnosis(console, data["diagnosis"])
    if body is None:
        if data.get("plan"):
            _plan(console, data["plan"])
        _statements(console, data["summary"].get("statements") or [])
        _changes(console, data["summary"].get("changes"))
    else:
        console.print()
    groups, rest = grouped(data)
    for b, mine in groups:
        if mine:
            console.print(Text(f"── {b['rank']}. {b['title']} ", style="bold"))
            _findings(console, mine)
    if groups and rest:
        console.print(Text("── Other findings ", style="bold"))
    if rest or not groups:
        _findings(console, rest)
    _collection(console, data["collection"])
    return head.getvalue() + (body or "") + tail.getvalue()


def _header(console: Console, data: dict[str, Any]) -> None:
    t = data["target"]
    if t.get("source"):  # an offline plan file: name the file, not a server
        t = {**t, "database": t.get("file") or t["source"], "host": "offline"}
    counts = data["summary"]["findings"]
    title = Text.assemble(("dbxray ", "bold"), (data["kind"], "bold"), "  ",
                          f"{t.get('flavor') or t.get('engine')} {t.get('server_version', '')}  ",
                          (f"{t.get('database', '')}@{t.get('host', '')}", "bold"))
    line = Text.assemble((f"{counts['critical']} critical", STYLE["critical"]), "  ",
                         (f"{counts['warning']} warning", STYLE["warning"]), "  ",
                         (f"{counts['info']} info", STYLE["info"]), "   collected ",
                         data["collected_at"], f" in {data['collection'].get('duration_ms', 0):,.0f} ms")
    db = data["summary"].get("database") or {}
    facts = []
    if db.get("size_bytes") is not None:
        facts.append(f"size {_bytes(db['size_bytes'])}")
    if db.get("cache_hit_ratio") is not None:
        facts.append(f"cache hit {100 * db['cache_hit_ratio']:.2f}%")
    if db.get("connections") is not None:
        facts.append(f"connections {db['connections']}/{db.get('max_connections')}")
    if db.get("stats_age_days") is not None:
        facts.append(f"stats age {db['stats_age_days']:.1f} d")
    interval = data["summary"].get("interval")
    if interval:
        facts.append(f"interval {interval['seconds']:,.0f} s since baseline")
    body = [line] + ([Text("  ·  ".join(facts), style="dim")] if facts else [])
    console.print(Panel(Group(*body), title=title, title_align="left"))
    for reason in data["summary"].get("incomplete") or []:
        console.print(Text("INCOMPLETE: " + reason, style="bold red"))
    for note in data["summary"].get("notes", []):
        console.print(Text("! " + note, style="yellow"))


def diagnosis(console: Console, diag: dict[str, Any]) -> None:
    """The advisor's answer first: the summary, "Fix first" with its SQL, then the ranked bottlenecks."""
    bottlenecks = diag.get("bottlenecks") or []
    parts: list[Any] = [Text(diag.get("summary") or "")]
    first = next((b for b in bottlenecks if b["severity"] != "info"), None)
    if first is not None and first["fix"].get("sql"):
        parts += [Text(""), Text("Fix first:", style="bold green"),
                  Syntax(first["fix"]["sql"], "sql", theme="ansi_dark", word_wrap=True, padding=(0, 2),
                         background_color="default")]
    console.print(Panel(Group(*parts), title="Diagnosis", title_align="left", border_style="green"))
    if diag.get("llm"):
        _ai_review(console, diag["llm"])
    for b in bottlenecks:
        head = Text.assemble((f"{b['rank']:>2}. ", "bold"), (f"{b['severity'].upper():9}", STYLE[b["severity"]]),
                             (f"{b['kind']:14}", "bold"), b["title"], (f"  [{b['confidence']}]", "dim"))
        console.print(head)
        console.print(Text(f"      cause: {b['cause']}"))
        console.print(Text(f"      impact: {b['impact']}"))
        console.print(Text(f"      fix: {b['fix']['expected']} (risk: {b['fix']['risk']})", style="green"))
        if b is not first and b["fix"].get("sql"):
            console.print(Syntax(b["fix"]["sql"], "sql", theme="ansi_dark", word_wrap=True, padding=(0, 6),
                                 background_color="default"))
    console.print()


def _ai_review(console: Console, llm: dict[str, Any]) -> None:
    """The model's review, marked AI: its summary, what it added, what grounding dropped and why."""
    if llm.get("error"):
        body = Text(f"no AI review: {llm['error']['message']} (the rule report above is complete)", style="yellow")
    else:
        lines = [Text(llm.get("summary") or ""), Text("")]
        kept, dropped = llm.get("findings_kept", 0), llm.get("findings_dropped", 0)
        agreed = len(llm.get("agreed") or [])
        lines.append(Text(f"{kept} finding(s) kept ({agreed} agree with a rule finding), {dropped} dropped by "
                          "grounding", style="dim"))
        for d in (llm.get("dropped") or [])[:5]:
            lines.append(Text(f"  dropped: {d.get('title') or d.get('check')}: {d.get('reason')}", style="dim"))
        body = Group(*lines)
    console.print(Panel(body, title=f"[AI] review by {llm.get('model')}", title_align="left",
                        border_style="magenta"))


def _statements(console: Console, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = Table(title="Top statements by total time", title_justify="left", expand=True)
    for col, kw in (("query id", {"no_wrap": True}), ("calls", {"justify": "right"}),
                    ("total ms", {"justify": "right"}), ("share", {"justify": "right"}),
                    ("mean ms", {"justify": "right"}), ("rows/call", {"justify": "right"}),
                    ("query", {"ratio": 1, "overflow": "ellipsis", "no_wrap": True})):
        table.add_column(col, **kw)
    for r in rows:
        table.add_row(str(r.get("query_id")), _fmt(r.get("calls")), _fmt(r.get("total_ms")),
                      f"{(r.get('share_pct') or 0):.1f}%", _fmt(r.get("mean_ms")), _fmt(r.get("rows_per_call")),
                      str(r.get("query", "")))
    console.print(table)


def _changes(console: Console, changes: dict[str, Any] | None) -> None:
    if not changes:
        return
    console.print(Text(f"Since the last run ({changes['since']}): {len(changes['new'])} new, "
                       f"{len(changes['resolved'])} resolved, {changes['unchanged']} unchanged", style="bold"))
    for f in changes["new"]:
        console.print(Text.assemble(("  + ", "red"), (f"{f['severity']:8} ", STYLE[f["severity"]]), f["title"]))
    for f in changes["resolved"]:
        console.print(Text.assemble(("  - ", "green"), (f"{f['severity']:8} ", "dim"), (f["title"], "dim")))
    console.print()


def _findings(console: Console, findings: list[dict[str, Any]]) -> None:
    if not findings:
        console.print(Text("No findings.", style="green"))
        return
    for f in findings:
        head = Text.assemble((f"{f['severity'].upper():9}", STYLE[f["severity"]]), (f"{f['check']:22} ", "bold"),
                             f["title"], ("  [AI]", "bold magenta") if f.get("source") == "llm" else "")
        parts: list[Any] = [head]
        obj = f.get("object") or {}
        if obj:
            parts.append(Text("  " + "  ".join(f"{k}={_fmt(v)}" for k, v in obj.items()), style="dim"))
        if f.get("evidence"):
            ev = ", ".join(f"{k}={_fmt(v)}" for k, v in f["evidence"].items() if v is not None)
            parts.append(Text("  evidence: " + ev))
        if f.get("recommendation"):
            parts.append(Text("  fix: " + f["recommendation"], style="green"))
        if f.get("sql"):
            parts.append(Syntax(f["sql"], "sql", theme="ansi_dark", word_wrap=True, padding=(0, 2),
                                background_color="default"))
        console.print(Group(*parts))
        console.print()


def _collection(console: Console, collection: dict[str, Any]) -> None:
    not_ok = [c for c in collection.get("collectors", []) if c["status"] != "ok"]
    if not not_ok:
        return
    table = Table(title="Collectors that did not run", title_justify="left", expand=True)
    table.add_column("collector", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail", ratio=1)
    for c in not_ok:
        table.add_row(c["name"], c["status"], str(c.get("detail", "")))
    console.print(table)
    for err in collection.get("check_errors", []):
        console.print(Text(f"check {err['check']} failed: {err['detail']}", style="red"))


def _plan(console: Console, plan: dict[str, Any]) -> None:
    tree = plan.get("text_tree")
    facts = [f"{k.replace('_', ' ')} {_fmt(plan[k])}" for k in ("total_ms", "planning_ms", "execution_ms",
                                                                  "total_cost") if plan.get(k) is not None]
    console.print(Panel(Text(tree or "", no_wrap=True) if tree else Text(""), title="plan  " + "  ".join(facts),
                        title_align="left"))
