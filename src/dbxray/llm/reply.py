"""Reading the model's answer: the ``record_findings`` input, or why there is none."""

from __future__ import annotations

from typing import Any

from dbxray.llm.client import LLMFailure
from dbxray.llm.prompt import RECORD_TOOL


def tool_uses(message: Any) -> list[Any]:
    return [b for b in message.content if getattr(b, "type", None) == "tool_use"]


def record_input(message: Any, max_tokens: int) -> dict[str, Any]:
    """The summary and findings the model recorded; a truncated, refused, tool-less or malformed
    reply is an :class:`LLMFailure`."""
    if message.stop_reason == "max_tokens":
        raise LLMFailure("truncated", f"the reply was cut at max_tokens={max_tokens} before it finished "
                                      "(raise [llm] max_output_tokens)")
    if message.stop_reason == "refusal":
        raise LLMFailure("refusal", "the model declined to answer")
    calls = [b for b in tool_uses(message) if b.name == RECORD_TOOL]
    if not calls:
        raise LLMFailure("no_tool", f"the reply has no {RECORD_TOOL} call (stop_reason {message.stop_reason})")
    data = calls[0].input
    if not isinstance(data, dict):
        raise LLMFailure("malformed", f"{RECORD_TOOL} input is not an object")
    if not isinstance(data.get("summary"), str):
        raise LLMFailure("malformed", f"{RECORD_TOOL} input has no summary string")
    if not isinstance(data.get("findings"), list):
        raise LLMFailure("malformed", f"{RECORD_TOOL} input has no findings list")
    return data
