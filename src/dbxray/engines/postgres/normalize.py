"""PostgreSQL statement text without literals, as ``pg_stat_statements`` stores it (``$n``).

pglast's scanner is PostgreSQL's own lexer: every constant token (strings in all their forms,
numbers, bit and hex strings) becomes the next free ``$n``; comments are dropped; everything else,
including the spacing, is kept. Text the lexer cannot read (cut inside a literal by
``track_activity_query_size``) goes to the fail-closed fallback of ``dbxray.engines.sqltext``.
"""

from __future__ import annotations

from functools import lru_cache

LITERALS = frozenset({"SCONST", "FCONST", "ICONST", "BCONST", "XCONST", "USCONST"})
COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})


@lru_cache(maxsize=4096)
def normalize_pg(text: str) -> str:
    from dbxray.engines.sqltext import _Placeholders, _tidy, scrub

    if not text or not any(ch in text for ch in "'$0123456789-/"):
        return text
    from pglast.parser import scan

    try:
        tokens = scan(text)
    except Exception:
        return scrub(text, "postgres")
    ph = _Placeholders("dollar", text)
    out: list[str] = []
    pos = 0
    for tok in tokens:
        gap = text[pos:tok.start]
        if gap.strip():  # text the scanner skipped: never shown
            return scrub(text, "postgres")
        out.append(gap)
        if tok.name in LITERALS:
            out.append(ph())
        elif tok.name in COMMENTS:
            out.append(" ")
        else:
            out.append(text[tok.start:tok.end + 1])
        pos = tok.end + 1
    tail = text[pos:]
    if tail.strip():  # something the scanner did not return as a token: never shown
        return scrub(text, "postgres")
    return _tidy("".join(out))
