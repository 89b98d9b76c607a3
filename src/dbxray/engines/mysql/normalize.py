"""MySQL/MariaDB statement text without literals, as a ``performance_schema`` digest shows it (``?``).

sqlglot's MySQL tokenizer finds the literals (strings in single or double quotes, numbers, hex and
bit strings, national and charset-introduced strings): each becomes ``?``; comments are dropped;
the rest keeps its spacing. Text the tokenizer cannot read (cut inside a literal) goes to the
fail-closed fallback of ``dbxray.engines.sqltext``.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def normalize_mysql(text: str) -> str:
    from dbxray.engines.sqltext import _tidy, scrub

    if not text or not any(ch in text for ch in "'\"0123456789#-/"):
        return text
    from sqlglot.tokens import TokenType

    literals = {TokenType.STRING, TokenType.NUMBER, TokenType.HEX_STRING, TokenType.BIT_STRING,
                TokenType.NATIONAL_STRING, TokenType.BYTE_STRING, TokenType.RAW_STRING,
                TokenType.UNICODE_STRING, TokenType.HEREDOC_STRING}
    try:
        tokens = _tokenizer().tokenize(text)
    except Exception:
        return scrub(text, "mysql")
    out: list[str] = []
    pos = 0
    for tok in tokens:
        gap = text[pos:tok.start]
        out.append(gap if not gap.strip() else " ")  # a gap with text in it is a comment
        if tok.token_type in literals:
            out.append("?")
        elif tok.token_type == TokenType.INTRODUCER:
            out.append("")  # _utf8mb4 before a string: part of the literal
        else:
            out.append(text[tok.start:tok.end + 1])
        pos = tok.end + 1
    tail = text[pos:]
    if tail.strip():
        out.append(" ")  # a trailing comment
    result = _tidy("".join(out))
    if "'" in result or '"' in result:  # a quote outside any token: never guess, scrub it all
        return scrub(text, "mysql")
    return result


@lru_cache(maxsize=1)
def _tokenizer():
    from sqlglot.dialects.mysql import MySQL

    return MySQL().tokenizer_class()
