"""Getting a plan from a live server through its engine, with server refusals as one clear line."""

from __future__ import annotations

from typing import Any

from dbxray.errors import BadInput
from dbxray.plans.model import Plan


def explain(session: Any, sql: str, analyze: bool = False) -> Plan:
    """The plan of one statement on a live server; a server-side refusal is one clear BadInput line."""
    from dbxray.errors import DbxrayError

    try:
        from dbxray import engine

        return engine.of(session).explain(session, sql, analyze)
    except DbxrayError:
        raise
    except Exception as exc:
        raise BadInput(_server_message(session, exc)) from None


def _server_message(session: Any, exc: Exception) -> str:
    from dbxray.connect import redact

    name = type(exc).__name__
    text = " ".join(str(exc).split()) or name
    first = text.split(" LINE ")[0]
    timeout = getattr(session.limits, "statement_timeout", None)
    if name in ("QueryCanceled",) or "max_statement_time" in text or "maximum statement execution time" in text:
        return f"the statement was cancelled after {timeout:g} s (raise --statement-timeout to give it longer)"
    return f"the server could not explain the statement: {redact(first)}"


