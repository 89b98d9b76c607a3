"""Claude on top of the deterministic diagnosis: ``dbxray report --llm`` and ``dbxray ask``.

The rule report is the evidence; the model reads a redacted, id-tagged JSON document of it and
answers through one tool (``record_findings``). Its findings are kept only when every piece of
evidence they cite is in that document and the objects they name exist (``grounding``). The
``anthropic`` SDK is imported only when a request is really sent (``client``), so ``dbxray
--help`` and reports without ``--llm`` never pay for it. The wire contract is ``docs/llm.md``.
"""

from __future__ import annotations

from typing import Any

from dbxray.llm.settings import LLMSettings, resolve_settings

__all__ = ["LLMSettings", "build_payload", "resolve_settings"]


def build_payload(report: Any, snapshot: Any, settings: LLMSettings | None = None, baseline: Any = None) -> str:
    """The Messages API request body ``report --llm`` would send for ``report``, as JSON (no SDK, no
    network): what privacy checks grep. ``--llm-dry-run`` prints the same body as the SDK serializes it."""
    import json

    from dbxray.llm.advise import prepare

    return json.dumps(prepare(report, snapshot, settings or LLMSettings(), baseline).body, ensure_ascii=False)
