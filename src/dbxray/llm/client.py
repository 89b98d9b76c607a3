"""The only module that imports the ``anthropic`` SDK, and only when a request is really made.

``send`` turns every way a call can fail into one :class:`LLMFailure` (a kind and one line), so
the commands never show a traceback and always keep the rule report. Retries are the SDK's
(``max_retries``: 408, 409, 429, 5xx, 529 and connection errors, with its own backoff).
``exact_body`` runs the real SDK against a transport that answers locally: what it captures is
byte for byte what would have been sent, and nothing leaves the machine.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

from dbxray.connect import one_line

# tests (and nothing else) inject an ``httpx2.Client(transport=httpx2.MockTransport(...))`` here
http_client_factory: Callable[[], Any] | None = None


class LLMFailure(Exception):
    """Why there is no usable answer: ``kind`` for machines, the message for people (one line)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


def make_client(settings: Any, http_client: Any = None) -> Any:
    """An SDK client that reads ``ANTHROPIC_API_KEY`` / ``ANTHROPIC_BASE_URL`` itself (never overridden)."""
    import anthropic

    kwargs: dict[str, Any] = {"timeout": settings.timeout, "max_retries": settings.max_retries}
    client = http_client or (http_client_factory() if http_client_factory else None)
    if client is not None:
        kwargs["http_client"] = client
    try:
        return anthropic.Anthropic(**kwargs)
    except anthropic.AnthropicError as exc:  # no credential the SDK can use
        raise LLMFailure("auth", f"the anthropic client could not start: {one_line(str(exc))}") from None


def send(client: Any, body: dict[str, Any], timeout: float | None = None) -> Any:
    """``POST /v1/messages`` with ``body``; the Message, or an :class:`LLMFailure`."""
    import anthropic

    call = client.with_options(timeout=timeout) if timeout is not None else client
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeprecationWarning)
            message = call.messages.create(**body)
        for w in caught:
            if issubclass(w.category, DeprecationWarning):
                import sys

                print(f"dbxray: llm: warning: {str(w.message).splitlines()[0]}", file=sys.stderr)
        return message
    except anthropic.APITimeoutError:
        raise LLMFailure("timeout", f"no answer within {timeout or client.timeout} s "
                                    f"(after {client.max_retries} retries)") from None
    except anthropic.APIConnectionError as exc:
        raise LLMFailure("connection", f"cannot reach the API at {client.base_url}: "
                                       f"{one_line(str(exc.__cause__ or exc))}") from None
    except anthropic.APIStatusError as exc:
        raise _status_failure(exc, client.max_retries) from None
    except anthropic.AnthropicError as exc:
        raise LLMFailure("error", one_line(f"{exc.__class__.__name__}: {exc}")) from None
    except ValueError as exc:  # the SDK refuses some requests before sending (e.g. a too-long non-streaming call)
        raise LLMFailure("request", one_line(str(exc))) from None


def _status_failure(exc: Any, retries: int) -> LLMFailure:
    status = exc.status_code
    detail = _api_message(exc)
    kinds = {401: ("auth", "authentication failed: check ANTHROPIC_API_KEY"),
             403: ("permission", "permission denied for this key or model"),
             404: ("not_found", "not found: is the model name right (--model)?"),
             413: ("too_large", "the request is too large"),
             429: ("rate_limit", f"rate limited, still after {retries} retries"),
             529: ("overloaded", f"the API is overloaded, still after {retries} retries")}
    kind, text = kinds.get(status, ("server" if status >= 500 else "rejected",
                                    f"the API answered {status}" + (f" after {retries} retries" if status >= 500
                                                                      else "")))
    return LLMFailure(kind, f"{text} (HTTP {status}{': ' + detail if detail else ''})")


def _api_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error") if isinstance(body.get("error"), dict) else body
        msg = err.get("message") if isinstance(err, dict) else None
        if msg:
            return one_line(str(msg))[:300]
    return ""


def exact_body(body: dict[str, Any]) -> str:
    """The request body the SDK would send for ``body``, captured locally: no network, no key needed."""
    import anthropic
    import httpx2

    captured: list[bytes] = []

    def answer(request: Any) -> Any:
        captured.append(request.content)
        return httpx2.Response(200, json={
            "id": "msg_dry_run", "type": "message", "role": "assistant", "model": body.get("model", ""),
            "content": [], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0}})

    client = anthropic.Anthropic(api_key="dry-run", base_url="http://dry-run.invalid", max_retries=0,
                                 http_client=httpx2.Client(transport=httpx2.MockTransport(answer)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.messages.create(**body)
    return captured[0].decode("utf-8")


def usage_of(message: Any) -> dict[str, int]:
    usage = getattr(message, "usage", None)
    out = {}
    for key in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        value = getattr(usage, key, None) if usage is not None else None
        if value is not None:
            out[key] = int(value)
    return out


def content_of(message: Any) -> list[dict[str, Any]]:
    """The reply's content blocks as request params (thinking blocks included, as the API wants them back)."""
    blocks = []
    for block in message.content:
        data = block.to_dict() if hasattr(block, "to_dict") else json.loads(json.dumps(block))
        blocks.append(data)
    return blocks
