"""MySQL / MariaDB SQL text without literals or comments, through sqlglot's MySQL tokenizer.

Strings (``'…'``, ``"…"`` without ANSI_QUOTES, ``N'…'``, ``_utf8mb4'…'``), numbers, hex and bit
literals become ``?`` (performance_schema's own placeholder); comments (``/* */``, ``--``, ``#``)
are not tokens and disappear. Text cut inside a literal (digests keep 1 kB) is scanned up to it.
"""

from __future__ import annotations

from dbxray.normalize import CUT, WITHHELD


def _literal_types() -> frozenset:
    from sqlglot.tokens import TokenType

    names = ("STRING", "NUMBER", "HEX_STRING", "BIT_STRING", "NATIONAL_STRING", "BYTE_STRING", "RAW_STRING",
             "HEREDOC_STRING", "UNICODE_STRING", "NATIONAL_RAW_STRING")
    return frozenset(getattr(TokenType, n) for n in names if hasattr(TokenType, n))


def normalize_mysql(text: str) -> str:
    """Literals become ``?`` (a charset introducer goes with its string), comments go, whitespace
    collapses to one space."""
    from sqlglot.tokens import TokenType

    if not text or not text.strip():
        return ""
    tokens, cut = _tokenize(text)
    if tokens is None:
        return WITHHELD
    literals = _literal_types()
    out: list[str] = []
    prev_end: int | None = None
    for t in tokens:
        if t.token_type == TokenType.INTRODUCER:
            continue  # _utf8mb4'…': the string that follows becomes the placeholder
        if prev_end is not None and t.start > prev_end + 1:
            out.append(" ")
        out.append("?" if t.token_type in literals else text[t.start:t.end + 1])
        prev_end = t.end
    return "".join(out) + (CUT if cut else "")


def _tokenize(text: str) -> tuple[list | None, bool]:
    from sqlglot.dialects.mysql import MySQL
    from sqlglot.errors import TokenError

    dialect = MySQL()
    try:
        return dialect.tokenize(text), False
    except TokenError:
        pass
    start = _unterminated(text)
    if start is None or start <= 0:
        return None, False
    try:
        return dialect.tokenize(text[:start]), True
    except TokenError:
        return None, False


def _unterminated(text: str) -> int | None:
    """Where the literal, quoted name or comment that never ends starts (None: no such place)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"`":
            j = i + 1
            while j < n:
                if text[j] == "\\" and c != "`":
                    j += 2
                    continue
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:  # doubled quote inside
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                return i
            i = j + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return i
            i = end + 2
        elif c == "#" or text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        else:
            i += 1
    return None
