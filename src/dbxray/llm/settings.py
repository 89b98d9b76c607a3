"""Where the LLM settings come from, checked before anything connects.

Model: ``--model``, else ``$DBXRAY_LLM_MODEL``, else ``[llm] model``, else :data:`DEFAULT_MODEL`.
Key and endpoint are the SDK's own variables (``ANTHROPIC_API_KEY`` or ``ANTHROPIC_AUTH_TOKEN``,
``ANTHROPIC_BASE_URL``): dbxray reads them only to say clearly when the key is missing and never
passes them to the client, so a gateway or proxy configured for the SDK works unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from dbxray.errors import BadInput

# Claude Haiku 5.5: the current Haiku (not in the SDK's DEPRECATED_MODELS), and the current model
# that accepts a forced tool_choice (the 5.5 Sonnet and Opus and Fable reject it: see FORCED_TOOL_REJECTED)
DEFAULT_MODEL = "claude-haiku-5-5"

# Anthropic's migration guides: on these models tool_choice "any"/"tool" and thinking "disabled" return 400
FORCED_TOOL_REJECTED = ("claude-sonnet-5-5", "claude-opus-5-5", "claude-fable-5-1", "claude-fable-5-2")

KEY_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")

# [llm] key -> (type, default, minimum, what it does): every key is documented in docs/llm.md
KEYS: dict[str, tuple[type, Any, float | None, str]] = {
    "model": (str, None, None, "the Claude model (default: claude-haiku-5-5; --model and DBXRAY_LLM_MODEL win)"),
    "max_input_tokens": (int, 8000, 1000, "estimated input tokens of one request; the evidence is trimmed to fit"),
    "max_output_tokens": (int, 8192, 256, "max_tokens of each request"),
    "timeout": (float, 60.0, 1.0, "seconds per API call"),
    "max_retries": (int, 2, 0, "retries of a failed call, by the SDK"),
    "max_tool_calls": (int, 8, 0, "dbxray ask: read-only tool calls per question"),
    "max_seconds": (float, 90.0, 5.0, "dbxray ask: seconds of tool use per question"),
    "max_total_tokens": (int, 60000, 2000, "dbxray ask: input + output tokens over all requests of a question"),
    "force_tool": (bool, None, None, "force record_findings with tool_choice (default: by model)"),
}
DESCRIPTIONS = {key: spec[3] for key, spec in KEYS.items()}  # for the config file's validation


@dataclass
class LLMSettings:
    """One run's LLM settings (the SDK's own variables excepted: the SDK reads those itself)."""

    model: str = DEFAULT_MODEL
    max_input_tokens: int = 8000  # estimated request size; the evidence is trimmed to fit
    max_output_tokens: int = 8192
    timeout: float = 60.0  # seconds per request
    max_retries: int = 2  # the SDK's retries (429, 5xx, 529, timeouts, connection errors)
    max_tool_calls: int = 8  # dbxray ask: read-only tool calls per question
    max_seconds: float = 90.0  # dbxray ask: wall time of the whole tool loop
    max_total_tokens: int = 60000  # dbxray ask: input + output tokens over every request
    force_tool: bool | None = None  # None: by model (FORCED_TOOL_REJECTED)

    @property
    def forces_tool(self) -> bool:
        """Whether requests force ``record_findings`` with ``tool_choice`` (and turn thinking off)."""
        if self.force_tool is not None:
            return self.force_tool
        return not self.model.startswith(FORCED_TOOL_REJECTED)


def resolve_settings(config: Any = None, model: str | None = None) -> LLMSettings:
    """The settings of this run; an unknown or mistyped ``[llm]`` key is a one-line error (exit 2)."""
    section = dict(getattr(config, "llm", None) or {})
    unknown = set(section) - set(KEYS)
    if unknown:
        raise BadInput(f"config: [llm] has no key named {', '.join(sorted(unknown))} "
                       f"(known: {', '.join(sorted(KEYS))})")
    values: dict[str, Any] = {}
    for key, value in section.items():
        values[key] = _checked(key, value)
    chosen = (model or os.environ.get("DBXRAY_LLM_MODEL") or values.pop("model", None) or DEFAULT_MODEL).strip()
    values.pop("model", None)
    if not chosen:
        raise BadInput("the LLM model name is empty (--model, DBXRAY_LLM_MODEL or [llm] model)")
    return LLMSettings(model=chosen, **values)


def _checked(key: str, value: Any) -> Any:
    kind, _default, minimum, _what = KEYS[key]
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise BadInput(f"config: [llm] {key} must be {'a number' if kind in (int, float) else kind.__name__}, "
                       f"not {value!r}")
    if minimum is not None and value < minimum:
        raise BadInput(f"config: [llm] {key} must be at least {minimum:g}, not {value!r}")
    return value


def require_key() -> None:
    """Fail before any connection when the SDK would have no credential to send."""
    if not any(os.environ.get(name, "").strip() for name in KEY_VARIABLES):
        raise BadInput("the LLM needs an API key: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN for a gateway); "
                       "--llm-dry-run shows the request without one")
