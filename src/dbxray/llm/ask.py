"""``dbxray ask``: a question answered from the evidence, with a bounded loop of read-only tools.

The loop is ours and stateless (the whole conversation is resent each turn, thinking blocks
included, as the API requires): the model may call the tools of ``llm.tools`` until it calls
``record_findings``, or until a budget runs out (``max_tool_calls``, ``max_seconds`` of tool use,
``max_total_tokens``); then one last request asks for the answer (forced where the model allows).
The answer is grounded like ``report --llm``: ids the tools showed count as evidence too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dbxray.llm.client import LLMFailure
from dbxray.llm.evidence import CHARS_PER_TOKEN, Evidence, build_evidence, estimate_tokens
from dbxray.llm.prompt import ASK_TASK, FINAL_NUDGE, RECORD_TOOL, record_findings_tool
from dbxray.llm.request import body, content_chars, tool_choice, user_message


@dataclass
class ToolCall:
    name: str
    input: Any
    result_bytes: int
    ms: float
    error: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "input": self.input, "result_bytes": self.result_bytes, "ms": round(self.ms, 1),
                "error": self.error}


@dataclass
class Answer:
    question: str
    model: str
    summary: str | None = None
    kept: list[Any] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    payload: dict[str, Any] = field(default_factory=dict)
    failure: LLMFailure | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"question": self.question, "model": self.model, "answer": self.summary,
                                "findings": [f.to_dict() for f in self.kept], "findings_kept": len(self.kept),
                                "findings_dropped": len(self.dropped), "dropped": self.dropped,
                                "tool_calls": [c.to_dict() for c in self.tool_calls], "requests": self.requests,
                                "usage": self.usage, "payload": self.payload}
        if self.failure is not None:
            data["error"] = self.failure.to_dict()
        return data


def tools_definitions() -> list[dict[str, Any]]:
    from dbxray.llm.tools import TOOLS

    return [t.definition() for t in TOOLS] + [record_findings_tool()]


def first_body(settings: Any, question: str, evidence_text: str) -> dict[str, Any]:
    task = ASK_TASK.format(max_calls=settings.max_tool_calls, question=question)
    return body(settings, tools_definitions(), [user_message(task, evidence_text)], {"type": "auto"})


def prepare(report: Any, snapshot: Any, rows: list[dict[str, Any]], settings: Any,
            question: str) -> tuple[dict[str, Any], Evidence]:
    """The first request: the question, then the evidence trimmed to ``max_input_tokens``."""
    overhead = content_chars(first_body(settings, question, ""))
    budget = int(settings.max_input_tokens * CHARS_PER_TOKEN) - overhead
    if budget <= 0:
        raise LLMFailure("too_large", f"[llm] max_input_tokens={settings.max_input_tokens} leaves no room for evidence")
    evidence = build_evidence(report, snapshot, rows, budget)
    data = first_body(settings, question, evidence.text)
    if estimate_tokens(content_chars(data)) > settings.max_input_tokens:
        raise LLMFailure("too_large", "the evidence does not fit [llm] max_input_tokens even trimmed")
    return data, evidence


def ask(session: Any, snapshot: Any, report: Any, rows: list[dict[str, Any]], settings: Any, question: str,
        on_tool: Callable[[ToolCall], None] | None = None) -> Answer:
    """Answer ``question``; a failure is recorded in the Answer (``failure``), never raised."""
    answer = Answer(question, settings.model)
    try:
        _loop(answer, session, snapshot, report, rows, settings, on_tool)
    except LLMFailure as failure:
        answer.failure = failure
    return answer


def _loop(answer: Answer, session: Any, snapshot: Any, report: Any, rows: list[dict[str, Any]], settings: Any,
          on_tool: Callable[[ToolCall], None] | None) -> None:
    from dbxray.llm.client import content_of, make_client, send, usage_of
    from dbxray.llm.grounding import ground
    from dbxray.llm.reply import record_input, tool_uses
    from dbxray.llm.tools import ToolContext, result_ids, run_tool

    data, evidence = prepare(report, snapshot, rows, settings, answer.question)
    answer.payload = {"evidence_bytes": len(evidence.text.encode()),
                      "estimated_tokens": estimate_tokens(content_chars(data)), "omitted": evidence.omitted}
    client = make_client(settings)
    ctx = ToolContext(session, snapshot, report, rows)
    messages = data["messages"]
    started = time.monotonic()
    final = False
    for _ in range(settings.max_tool_calls + 3):
        spent = _spent(answer, settings, started)
        final = final or spent is not None
        last = _blocks(messages[-1]["content"])
        if final and not settings.forces_tool and last[-1].get("text") != FINAL_NUDGE:
            messages[-1]["content"] = [*last, {"type": "text", "text": FINAL_NUDGE}]
        request = body(settings, data["tools"], messages, tool_choice(settings, final=final))
        message = send(client, request)
        answer.requests += 1
        for key, value in usage_of(message).items():
            answer.usage[key] = answer.usage.get(key, 0) + value
        uses = tool_uses(message)
        if any(u.name == RECORD_TOOL for u in uses) or message.stop_reason in ("max_tokens", "refusal") or final:
            result = record_input(message, settings.max_output_tokens)
            grounded = ground(result["findings"], evidence, report.findings)
            answer.summary, answer.kept, answer.dropped = result["summary"], grounded.kept, grounded.dropped
            return
        messages.append({"role": "assistant", "content": content_of(message)})
        if not uses:  # an answer in prose: ask once more, for the tool
            messages.append({"role": "user", "content": [{"type": "text", "text": FINAL_NUDGE}]})
            final = True
            continue
        results = []
        for use in uses:
            if len(answer.tool_calls) >= settings.max_tool_calls:
                text, error = '{"error":"the tool budget is spent: call record_findings"}', True
                ms = 0.0
            else:
                t0 = time.monotonic()
                text, error = run_tool(ctx, use.name, use.input)
                ms = (time.monotonic() - t0) * 1000
                if not error:
                    evidence.ids.update(result_ids(use.name, use.input if isinstance(use.input, dict) else {}, text))
            call = ToolCall(use.name, use.input, len(text.encode()), ms, error)
            answer.tool_calls.append(call)
            if on_tool:
                on_tool(call)
            results.append({"type": "tool_result", "tool_use_id": use.id, "content": text, "is_error": error})
        messages.append({"role": "user", "content": results})
    raise LLMFailure("no_tool", f"no {RECORD_TOOL} call after {answer.requests} requests")


def _spent(answer: Answer, settings: Any, started: float) -> str | None:
    """Which budget is spent, if any: tool calls, seconds of tool use, or tokens."""
    if len(answer.tool_calls) >= settings.max_tool_calls:
        return "tool calls"
    if time.monotonic() - started >= settings.max_seconds:
        return "seconds"
    used = answer.usage.get("input_tokens", 0) + answer.usage.get("output_tokens", 0)
    if used >= settings.max_total_tokens:
        return "tokens"
    return None


def _blocks(content: Any) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def dry_run(report: Any, snapshot: Any, rows: list[dict[str, Any]], settings: Any, question: str) -> str:
    """The exact first request body (nothing is sent)."""
    from dbxray.llm.client import exact_body

    return exact_body(prepare(report, snapshot, rows, settings, question)[0])
