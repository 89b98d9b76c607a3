"""Claude on top of the deterministic diagnosis: ``dbxray report --llm`` and ``dbxray ask``.

The rule report is the evidence; the model reads a redacted, id-tagged JSON document of it and
answers through one tool (``record_findings``). Its findings are kept only when every piece of
evidence they cite is in that document and the objects they name exist (``grounding``). The
``anthropic`` SDK is imported only when a request is really sent (``client``), so ``dbxray
--help`` and reports without ``--llm`` never pay for it. The wire contract is ``docs/llm.md``.
"""

from __future__ import annotations

from dbxray.llm.settings import LLMSettings, resolve_settings

__all__ = ["LLMSettings", "resolve_settings"]
