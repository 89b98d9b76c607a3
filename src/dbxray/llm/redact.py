"""What may leave the machine: every string of the payload passes through one of three doors.

- SQL text and plan expressions (keys in :data:`SQL_KEYS`, or ending in ``query``) are normalized
  by the engine (``dbxray.engines.sqltext.normalize_sql``): literals become placeholders, comments go.
- Host names and client addresses (keys in :data:`HOST_KEYS`, the target's host anywhere, IP
  addresses, the host part of a MySQL account ``'app'@'10.0.0.7'``, in prose, in ids and in object
  names) become a stable alias, ``host-`` and 8 hex digits of their SHA-256.
- Any other string is prose: quoted literals are masked, credentials (URL userinfo,
  ``password=``, API keys) are cut, and the length is capped (database text is untrusted).

Table data never gets here: the payload is built from findings, statement statistics, catalog
sizes and an allowlist of settings, never from ``pg_stats`` values or rows.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from dbxray.engines.sqltext import normalize_sql

SQL_KEYS = frozenset({
    "query", "statement", "sql_text", "digest_text", "filter", "index_cond", "recheck_cond", "join_filter",
    "hash_cond", "merge_cond", "one_time_filter", "tid_cond", "run_condition", "cache_key", "condition",
    "attached_condition", "index_condition", "ref", "detail", "definition", "kept_definition",
    "covering_definition", "predicate", "expressions", "indexdef",
})
HOST_KEYS = frozenset({"host", "client", "client_addr", "client_hostname", "address", "addr", "hostname"})

MAX_SQL = 400
MAX_PROSE = 300

_QUOTED = re.compile(r"'(?:[^']|'')*'")
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)
_SECRET_KV = re.compile(r"\b(password|passwd|pwd|secret|token|api[_-]?key|auth)\b(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)",
                        re.IGNORECASE)
_API_KEY = re.compile(r"\bsk-[A-Za-z0-9_-]{8,}")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])(?=[0-9A-Fa-f:]*::)[0-9A-Fa-f:]{2,39}(?:/\d{1,3})?(?![\w:])")
# the host part of a MySQL account: 'app'@'10.0.0.7', `app`@`db1.example`, app@localhost
_ACCOUNT_HOST = re.compile(r"""@(?:'([^']*)'|"([^"]*)"|`([^`]*)`|([A-Za-z0-9_.%-]+))""")
_ALIAS = re.compile(r"host-[0-9a-f]{8}")


def host_alias(value: Any) -> str:
    """A stable stand-in for a host name or address: the same host gets the same alias in every run."""
    text = str(value or "").strip()
    return "host-" + hashlib.sha256(text.lower().encode()).hexdigest()[:8] if text else ""


def cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Redactor:
    """The three doors for one snapshot (its engine normalizes, its host is aliased). It remembers every
    alias it gave, so what the model says about ``host-1a2b3c4d`` can be said again with the real name."""

    def __init__(self, engine: str, host: str | None = None):
        self.engine = engine
        self.host = str(host or "").strip()
        self.aliases: dict[str, str] = {}  # alias -> the host it stands for

    def alias(self, value: Any) -> str:
        text = str(value or "").strip()
        if not text:
            return ""
        name = host_alias(text)
        self.aliases[name] = text
        return name

    def restore(self, text: Any) -> Any:
        """``text`` with the aliases this redactor gave replaced by the hosts they stand for (local only)."""
        if not isinstance(text, str) or "host-" not in text:
            return text
        return _ALIAS.sub(lambda m: self.aliases.get(m.group(0), m.group(0)), text)

    def sql(self, text: Any, limit: int = MAX_SQL) -> str:
        """Normalized SQL on one line (whatever spacing the engine's normalizer keeps)."""
        return cap(" ".join(normalize_sql(text, self.engine).split()), limit) if text is not None else ""

    def hosts(self, text: str) -> str:
        """Host names and addresses out of a name (a MySQL account, an id), nothing else changed."""
        def account(m: re.Match) -> str:
            host = next(g for g in m.groups() if g is not None)
            quote = m.group(0)[1] if m.group(0)[1] in "'\"`" else ""
            return f"@{quote}{host if host in ('%', '') else self.alias(host)}{quote}"

        out = _ACCOUNT_HOST.sub(account, text)
        if self.host and not _too_plain(self.host):
            out = out.replace(self.host, self.alias(self.host))
        out = _IPV4.sub(lambda m: self.alias(m.group(0)), out)
        return _IPV6.sub(lambda m: self.alias(m.group(0)), out)

    def prose(self, text: Any, limit: int = MAX_PROSE) -> str:
        """Free text (titles, causes, application names): no quoted literal, credential or host name."""
        out = " ".join(str(text).split())
        out = _USERINFO.sub(r"\1***@", out)
        out = _SECRET_KV.sub(r"\1\2***", out)
        out = _API_KEY.sub("***", out)
        out = _QUOTED.sub("'?'", out)
        return cap(self.hosts(out), limit)

    def value(self, key: str, value: Any) -> Any:
        """One evidence value, by its key; lists and nested records are walked."""
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, dict):
            return {str(k): self.value(str(k), v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set)):
            return [self.value(key, v) for v in value]
        if not isinstance(value, str):
            value = str(value)
        lowered = key.lower()
        if lowered in SQL_KEYS or lowered.endswith("query"):
            return self.sql(value)
        if lowered in HOST_KEYS or lowered.endswith(("_client", "_host", "_addr", "_address")):
            return self.alias(value)
        return self.prose(value)

    def record(self, data: dict[str, Any]) -> dict[str, Any]:
        return {k: self.value(k, v) for k, v in data.items() if v is not None}


def _too_plain(host: str) -> bool:
    """A one-letter or purely numeric 'host' would rewrite unrelated text: leave it to the regexes."""
    return len(host) < 3 or host.isdigit()
