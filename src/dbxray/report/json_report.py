"""JSON renderer: the report contract, stable and documented (docs/report-schema.md)."""

from __future__ import annotations

import json


def render_json(report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
