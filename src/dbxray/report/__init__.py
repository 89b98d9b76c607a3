"""Renderers: they render a Report, they never query the database."""

from __future__ import annotations

FORMATS = ("text", "json", "markdown", "html", "prometheus")


def render(report, fmt: str, color: bool | None = None, width: int | None = None,
           diagnosis_only: bool = False) -> str:
    if fmt == "prometheus":  # metrics: the diagnosis is in them (bottleneck scores) either way
        from dbxray.report.prometheus import render_prometheus

        return render_prometheus(report)
    if diagnosis_only:
        from dbxray.report.brief import render_brief

        return render_brief(report, fmt, color=color, width=width)
    if fmt == "json":
        from dbxray.report.json_report import render_json

        return render_json(report)
    if fmt == "markdown":
        from dbxray.report.markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from dbxray.report.html import render_html

        return render_html(report.to_dict())
    if fmt == "text":
        from dbxray.report.text import render_text

        return render_text(report, color=color, width=width)
    raise ValueError(f"unknown format {fmt!r}")
