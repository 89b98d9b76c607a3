"""Just the ranked bottlenecks (``dbxray report --diagnosis-only``): for chat, pagers and cron mail."""

from __future__ import annotations

import io
import json
from typing import Any


def render_brief(report: Any, fmt: str, color: bool | None = None, width: int | None = None) -> str:
    data = report.to_dict()
    brief = {k: data[k] for k in ("schema_version", "tool", "kind", "target", "collected_at") if k in data}
    brief["summary"] = {k: data["summary"][k] for k in ("findings", "incomplete") if k in data["summary"]}
    brief["diagnosis"] = data.get("diagnosis") or {"summary": "", "bottlenecks": []}
    if fmt == "json":
        return json.dumps(brief, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        from dbxray.report.html import render_html

        return render_html(brief)
    t = data["target"]
    where = f"{t.get('database', '')}@{t.get('host', '')} ({t.get('flavor') or t.get('engine')})"
    if fmt == "markdown":
        from dbxray.report.markdown import diagnosis_section

        lines = [f"# dbxray diagnosis: {where}", "", *diagnosis_section(brief["diagnosis"])]
        lines += [f"> ⚠️ report incomplete: {r}" for r in brief["summary"].get("incomplete") or []]
        return "\n".join(lines).rstrip() + "\n"
    from rich.console import Console
    from rich.text import Text

    from dbxray.report.text import diagnosis

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=bool(color), color_system="auto" if color else None,
                      width=width or 110, soft_wrap=False)
    console.print(Text(f"dbxray diagnosis  {where}  {data['collected_at']}", style="bold"))
    diagnosis(console, brief["diagnosis"])
    for reason in brief["summary"].get("incomplete") or []:
        console.print(Text(f"! report incomplete: {reason}", style="yellow"))
    return buf.getvalue()
