"""``dbxray report --llm``: the rule report, then one request, then the grounded findings added.

The rule findings and the diagnosis are never changed: the model's findings join ``findings[]``
with ``source: "llm"``, and ``diagnosis.llm`` says what the model concluded and what was
dropped. When the call fails the report is complete all the same; the failure is one line and
one entry of ``summary.incomplete`` (exit 4 unless ``--allow-partial``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from dbxray.diagnose.model import Diagnosis
from dbxray.llm.client import LLMFailure
from dbxray.llm.evidence import CHARS_PER_TOKEN, Evidence, build_evidence, estimate_tokens, statement_rows
from dbxray.llm.request import content_chars, report_body, size_chars


@dataclass
class AdvisedDiagnosis(Diagnosis):
    """The diagnosis with the model's review beside it (``diagnosis.llm``)."""

    llm: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "llm": self.llm}


@dataclass
class Prepared:
    """A request ready to send: the body, its evidence, and its size."""

    body: dict[str, Any]
    evidence: Evidence

    @property
    def estimated_tokens(self) -> int:
        return estimate_tokens(content_chars(self.body))

    def payload_info(self) -> dict[str, Any]:
        return {"evidence_bytes": len(self.evidence.text.encode()), "request_bytes": size_chars(self.body),
                "estimated_tokens": self.estimated_tokens, "build_ms": round(self.evidence.build_ms, 1),
                "omitted": self.evidence.omitted}


def prepare(report: Any, snapshot: Any, settings: Any, baseline: Any = None) -> Prepared:
    """The request body of ``report --llm``: evidence trimmed so the whole body fits ``max_input_tokens``."""
    overhead = content_chars(report_body(settings, ""))
    budget = int(settings.max_input_tokens * CHARS_PER_TOKEN) - overhead
    if budget <= 0:
        raise LLMFailure("too_large", f"[llm] max_input_tokens={settings.max_input_tokens} leaves no room for evidence")
    evidence = build_evidence(report, snapshot, statement_rows(snapshot, baseline), budget)
    body = report_body(settings, evidence.text)
    prepared = Prepared(body, evidence)
    if prepared.estimated_tokens > settings.max_input_tokens:
        raise LLMFailure("too_large", f"the evidence needs about {prepared.estimated_tokens:,} tokens even "
                                      f"trimmed, over [llm] max_input_tokens={settings.max_input_tokens:,}")
    return prepared


def dry_run(report: Any, snapshot: Any, settings: Any, baseline: Any = None) -> str:
    """The exact request body, as the SDK would send it (nothing is sent)."""
    from dbxray.llm.client import exact_body

    return exact_body(prepare(report, snapshot, settings, baseline).body)


def advise(report: Any, snapshot: Any, settings: Any, baseline: Any = None) -> LLMFailure | None:
    """Ask the model about ``report`` and add what survives grounding; the failure, if any."""
    from dbxray.llm.client import make_client, send, usage_of
    from dbxray.llm.grounding import ground
    from dbxray.llm.reply import record_input

    info: dict[str, Any] = {"model": settings.model, "summary": None, "findings_kept": 0, "findings_dropped": 0}
    started = time.monotonic()
    try:
        prepared = prepare(report, snapshot, settings, baseline)
        info["payload"] = prepared.payload_info()
        message = send(make_client(settings), prepared.body)
        info["usage"] = usage_of(message)
        info["request_id"] = getattr(message, "_request_id", None)
        data = record_input(message, settings.max_output_tokens)
        grounded = ground(data["findings"], prepared.evidence, report.findings)
    except LLMFailure as failure:
        info["error"] = failure.to_dict()
        _attach(report, info, started)
        report.incomplete.append(f"llm: {failure.message}")
        return failure
    report.add(list(grounded.kept))
    info.update(summary=data["summary"], findings_kept=len(grounded.kept), findings_dropped=len(grounded.dropped),
                dropped=grounded.dropped, agreed=[f.same_as for f in grounded.kept if f.same_as])
    _attach(report, info, started)
    return None


def _attach(report: Any, info: dict[str, Any], started: float) -> None:
    info["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    info = {k: v for k, v in info.items() if v is not None or k == "summary"}
    diag = report.diagnosis or Diagnosis("", [])
    report.diagnosis = AdvisedDiagnosis(diag.summary, diag.bottlenecks, diag.duration_ms, llm=info)
