"""PostgreSQL SQL text without literals or comments, through libpg_query's scanner (pglast).

The scanner is the server's own lexer: every string (``'…'``, ``E'…'``, ``U&'…'``, ``$$…$$``),
number and bit string is a token, so nothing that looks like a literal to PostgreSQL survives.
A scan works on fragments too (plan filters, truncated statements); an unterminated literal
at the end (text cut short) is dropped with everything after it.
"""

from __future__ import annotations

import re

from dbxray.normalize import CUT, WITHHELD

LITERALS = frozenset({"SCONST", "USCONST", "ICONST", "FCONST", "BCONST", "XCONST"})
COMMENTS = frozenset({"C_COMMENT", "SQL_COMMENT"})
_PARAM = re.compile(r"\$(\d+)$")
# what cannot hold a literal or a comment: $n parameters, names (plain or quoted)
_INERT = re.compile(r'\$\d+\b|\b[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")*"')
_SUSPECT = re.compile(r"[0-9'$]|--|/\*")


def normalize_pg(text: str) -> str:
    """Literals become ``$n`` (numbered after the highest ``$n`` already there), comments go, and
    whitespace collapses to one space."""
    if not text or not text.strip():
        return ""
    if not _SUSPECT.search(_INERT.sub(" ", text)):  # no digit, quote, $ or comment outside names: nothing to hide
        return " ".join(text.split())
    return scanned(text)


def scanned(text: str) -> str:
    """The scanner's way (every statement :func:`normalize_pg` cannot clear at a glance)."""
    tokens, cut = _scan(text)
    if tokens is None:
        return WITHHELD
    n = max((int(m.group(1)) for t in tokens if t.name == "PARAM"
             for m in [_PARAM.match(text[t.start:t.end + 1])] if m), default=0)
    out: list[str] = []
    prev_end: int | None = None
    for t in tokens:
        if t.name in COMMENTS:
            continue
        if prev_end is not None and t.start > prev_end + 1:
            out.append(" ")
        if t.name in LITERALS:
            n += 1
            out.append(f"${n}")
        else:
            out.append(text[t.start:t.end + 1])
        prev_end = t.end
    return "".join(out) + (CUT if cut else "")


def _scan(text: str) -> tuple[list | None, bool]:
    """(tokens, cut): on an unterminated literal, comment or quoted name the text is scanned up to it."""
    from pglast import parser

    try:
        return parser.scan(text), False
    except parser.ParseError as exc:
        where = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
    if where is None or where <= 0:
        return None, False
    try:
        return parser.scan(text[:where]), True
    except parser.ParseError:
        return None, False
