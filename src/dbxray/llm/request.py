"""Messages API request bodies: tools and system first (the cached prefix), the evidence last."""

from __future__ import annotations

import json
from typing import Any

from dbxray.llm.prompt import RECORD_TOOL, REPORT_TASK, SYSTEM, record_findings_tool

CACHE = {"type": "ephemeral"}


def system_blocks() -> list[dict[str, Any]]:
    """The method, with the cache breakpoint: it caches tools + system, identical in every run."""
    return [{"type": "text", "text": SYSTEM, "cache_control": dict(CACHE)}]


def tool_choice(settings: Any, final: bool = True) -> dict[str, Any]:
    """Force ``record_findings`` where the model allows it; otherwise ``auto`` (the prompt asks for it)."""
    if final and settings.forces_tool:
        return {"type": "tool", "name": RECORD_TOOL, "disable_parallel_tool_use": True}
    return {"type": "auto"}


def body(settings: Any, tools: list[dict[str, Any]], messages: list[dict[str, Any]],
         choice: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"model": settings.model, "max_tokens": settings.max_output_tokens, "tools": tools,
                            "tool_choice": choice, "system": system_blocks(), "messages": messages}
    if choice["type"] in ("tool", "any"):
        data["thinking"] = {"type": "disabled"}  # a forced tool cannot be combined with thinking
    return data


def user_message(task: str, evidence_text: str) -> dict[str, Any]:
    """The task, then the evidence as one JSON document (its own text block)."""
    return {"role": "user", "content": [{"type": "text", "text": task}, {"type": "text", "text": evidence_text}]}


def report_body(settings: Any, evidence_text: str) -> dict[str, Any]:
    return body(settings, [record_findings_tool()], [user_message(REPORT_TASK, evidence_text)],
                tool_choice(settings))


def size_chars(data: dict[str, Any]) -> int:
    """The body's length as the SDK serializes it (compact JSON)."""
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False))


def content_chars(data: dict[str, Any]) -> int:
    """What the model reads, in characters: the system text, the tools as JSON and every message's text
    (the body's JSON escapes are not tokens). The input-token estimate is this over CHARS_PER_TOKEN."""
    chars = sum(len(b.get("text", "")) for b in data.get("system", []))
    chars += len(json.dumps(data.get("tools", []), separators=(",", ":"), ensure_ascii=False))
    for message in data.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            chars += len(content)
            continue
        for block in content or []:
            if block.get("type") == "text":
                chars += len(block.get("text", ""))
            else:
                chars += len(json.dumps({k: v for k, v in block.items() if k != "type"}, separators=(",", ":"),
                                        ensure_ascii=False))
    return chars
