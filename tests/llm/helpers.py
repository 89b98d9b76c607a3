"""Running the CLI in-process (so the scripted API transport applies) and reading its payloads."""

from __future__ import annotations

import json
import sys
from typing import Any


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    """``dbxray ARGS`` through the real entry point (its one-line errors and exit codes)."""
    from dbxray.cli import main

    capsys.readouterr()
    saved = sys.argv
    sys.argv = ["dbxray", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    out, err = capsys.readouterr()
    return code, out, err


def evidence_of(body: dict[str, Any]) -> dict[str, Any]:
    """The evidence document of a request body (the user message's JSON text block)."""
    return json.loads(body["messages"][0]["content"][1]["text"])


def all_ids(document: dict[str, Any]) -> list[str]:
    ids = [document["database"]["id"]]
    ids += [b["id"] for b in document["diagnosis"]["bottlenecks"]]
    for key in ("findings", "statements", "tables", "indexes", "settings"):
        ids += [item["id"] for item in document[key]]
    return ids
