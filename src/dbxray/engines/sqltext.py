"""Live query text without its literals: what may be stored or shown of other sessions' statements.

The text of other sessions' statements (``pg_stat_activity.query``, MySQL's ``PROCESSLIST.INFO``,
``trx_query``, a ``pg_stat_statements`` entry recorded after a reset) can carry passwords
(``ALTER ROLE … PASSWORD '…'``), personal data and tokens. dbxray keeps only its shape, as
``pg_stat_statements`` and ``performance_schema`` digests do: every literal becomes a placeholder
(``$n`` on PostgreSQL, ``?`` on MySQL) and comments are dropped.

Each engine answers ``Engine.normalize_sql(text) -> str`` with its own parser's lexer (pglast for
PostgreSQL, sqlglot for MySQL); when that lexer gives up (text cut at ``track_activity_query_size``,
an unterminated quote) :func:`scrub` here, a small lexer that fails closed, takes over: whatever
follows an unterminated quote is dropped, never shown.

Collectors declare the columns that carry statement text in their header
(``-- normalize: query, blocking_query``); :func:`normalize_frame` applies the engine's normalizer
to those columns once, when the frame is collected, so nothing downstream (checks, findings,
summaries, renderers, saved snapshots, the history store) ever sees the raw text. ``--raw-queries``
is the explicit opt-in that keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

PLACEHOLDER_TAIL = " …"  # what replaces the rest of a text cut inside a literal

_IDENT_START = re.compile(r"[A-Za-z_\u0080-\uffff]")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$\u0080-\uffff]")
_NUMBER = re.compile(r"(?:0[xX][0-9A-Fa-f_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)")
_PARAM = re.compile(r"\$\d+")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")


def max_param(text: str) -> int:
    """The highest ``$n`` already in the text (pg_stat_statements' own placeholders)."""
    found = [int(m.group(0)[1:]) for m in _PARAM.finditer(text)]
    return max(found, default=0)


class _Placeholders:
    """``$n`` numbered after the text's own parameters, or MySQL's ``?``."""

    def __init__(self, style: str, text: str):
        self.style = style
        self.next = max_param(text) + 1 if style == "dollar" else 0

    def __call__(self) -> str:
        if self.style != "dollar":
            return "?"
        self.next += 1
        return f"${self.next - 1}"


def scrub(text: str, dialect: str = "postgres") -> str:
    """Replace every literal by a placeholder and drop comments with a small, fail-closed lexer.

    ``dialect`` decides what a lexer must know to find where a literal ends: on PostgreSQL a
    backslash escapes only inside ``E'…'`` and ``"…"`` is an identifier, ``$tag$…$tag$`` a string;
    on MySQL a backslash always escapes and ``"…"`` is a string. An unterminated literal or comment
    drops the rest of the text."""
    pg = dialect == "postgres"
    ph = _Placeholders("dollar" if pg else "question", text)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        # comments
        if text.startswith("--", i) or (not pg and c == "#"):
            j = text.find("\n", i)
            i = n if j < 0 else j
            out.append(" ")
            continue
        if text.startswith("/*", i):
            if pg:  # PostgreSQL's block comments nest
                depth, j = 1, i + 2
                while j < n and depth:
                    if text.startswith("/*", j):
                        depth, j = depth + 1, j + 2
                    elif text.startswith("*/", j):
                        depth, j = depth - 1, j + 2
                    else:
                        j += 1
                if depth:
                    out.append(PLACEHOLDER_TAIL)
                    break
                i = j
            else:
                j = text.find("*/", i + 2)
                if j < 0:
                    out.append(PLACEHOLDER_TAIL)
                    break
                i = j + 2
            out.append(" ")
            continue
        # quoted identifiers are kept (they are names, not data)
        if (pg and c == '"') or (not pg and c == "`"):
            j = i + 1
            while True:
                k = text.find(c, j)
                if k < 0:
                    out.append(PLACEHOLDER_TAIL)
                    return "".join(out)
                if text.startswith(c * 2, k):
                    j = k + 2
                    continue
                break
            out.append(text[i:k + 1])
            i = k + 1
            continue
        # dollar-quoted strings and $n parameters (PostgreSQL)
        if pg and c == "$":
            m = _PARAM.match(text, i)
            if m:
                out.append(m.group(0))
                i = m.end()
                continue
            m = _DOLLAR_TAG.match(text, i)
            if m:
                k = text.find(m.group(0), m.end())
                if k < 0:
                    out.append(ph() + PLACEHOLDER_TAIL)
                    break
                out.append(ph())
                i = k + len(m.group(0))
                continue
        # strings, with their prefixes (E'', B'', X'', N'', U&'', _charset'')
        prefix = _string_prefix(text, i, pg)
        if prefix is not None:
            start = i + prefix
            quote = text[start]
            escapes = (not pg) or text[i:start].upper().startswith("E")
            j = start + 1
            closed = False
            while j < n:
                ch = text[j]
                if escapes and ch == "\\":
                    j += 2
                    continue
                if ch == quote:
                    if j + 1 < n and text[j + 1] == quote:
                        j += 2
                        continue
                    closed = True
                    break
                j += 1
            if not closed:
                out.append(ph() + PLACEHOLDER_TAIL)
                break
            out.append(ph())
            i = j + 1
            continue
        # identifiers and keywords
        if _IDENT_START.match(c):
            j = i + 1
            while j < n and _IDENT_CHAR.match(text[j]):
                j += 1
            out.append(text[i:j])
            i = j
            continue
        # numbers
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            j = m.end() if m and m.end() > i else i + 1
            while j < n and _IDENT_CHAR.match(text[j]):  # 1abc is not a number: drop it whole
                j += 1
            out.append(ph())
            i = j
            continue
        out.append(c)
        i += 1
    return _tidy("".join(out))


def _string_prefix(text: str, i: int, pg: bool) -> int | None:
    """Length of the prefix before the opening quote when a string literal starts at ``i``."""
    c = text[i]
    if c == "'" or (not pg and c == '"'):
        return 0
    head = text[i:i + 3].upper()
    if head[:2] in ("E'", "B'", "X'", "N'"):
        return 1
    if pg and head == "U&'":
        return 2
    if not pg and c == "_":  # _utf8mb4'…'
        m = re.match(r"_[A-Za-z0-9]+'", text[i:i + 40])
        if m:
            return m.end() - 1
    return None


def _tidy(text: str) -> str:
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def normalize_frame(frame: Any, columns: tuple[str, ...] | list[str], normalize: Callable[[str], str]) -> Any:
    """The frame with the text in ``columns`` normalized (other columns untouched)."""
    for col in columns:
        if col in frame.columns:
            frame[col] = frame[col].map(lambda v: normalize(v) if isinstance(v, str) and v else v)
    return frame


def safe_normalize(normalize: Callable[[str], str], text: str, dialect: str) -> str:
    """The engine's normalizer, falling back to :func:`scrub` when it cannot read the text."""
    try:
        return normalize(text)
    except Exception:
        return scrub(text, dialect)


__all__ = ["normalize_frame", "safe_normalize", "scrub"]


def normalize_sql(text: object, engine: str) -> str:
    """The one entry point for text that leaves dbxray (reports, snapshots, the LLM payload): every
    literal a placeholder and no comments, by the engine's own lexer (``Engine.normalize_sql``), on
    one line. Never rely on the server's normalization: ``pg_stat_statements`` keeps the literals of
    a statement that finished after a reset, and the live text of other sessions is never normalized."""
    from dbxray import engine as registry

    if text is None:
        return ""
    return registry.get(engine).normalize_sql(str(text))
