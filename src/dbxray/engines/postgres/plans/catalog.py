"""What the plan alone cannot say, read from the live server when there is one.

A plan names a relation but not whether its statistics are stale, which indexes it
already has, or what ``work_mem`` is; the rules ask this small, cached lookup, and work
without it (``--plan-file``) by saying less. Read-only catalog queries only.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from dbxray.engines.postgres.quoting import pg_ident


class PgCatalog:
    """Cached catalog facts about the relations a plan touches (PostgreSQL)."""

    def __init__(self, session: Any):
        self.session = session
        self._tables: dict[tuple[str | None, str], dict[str, Any] | None] = {}

    def setting(self, name: str) -> str | None:
        try:
            return self.session.scalar("SELECT current_setting(%s, true)", (name,))
        except Exception:
            return None

    @cached_property
    def database(self) -> str | None:
        return getattr(self.session, "database", None)

    def table(self, schema: str | None, relation: str | None) -> dict[str, Any] | None:
        """Schema, size, statistics age and btree index leading columns of one relation (None if unknown)."""
        if not relation:
            return None
        key = (schema, relation)
        if key not in self._tables:
            self._tables[key] = self._load(schema, relation)
        return self._tables[key]

    def _load(self, schema: str | None, relation: str) -> dict[str, Any] | None:
        name = pg_ident(schema, relation) if schema else pg_ident(relation)
        try:
            rows = self.session.rows(
                """SELECT n.nspname AS schema, c.relname AS table, c.reltuples::float8 AS reltuples,
                          c.relispartition AS is_partition, c.relkind::text AS relkind,
                          s.n_live_tup, s.n_mod_since_analyze, s.last_analyze, s.last_autoanalyze,
                          greatest(s.last_analyze, s.last_autoanalyze) AS analyzed_at,
                          now() AS now
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
                   WHERE c.oid = to_regclass(%s)""", (name,))
            if not rows:
                return None
            info = rows[0]
            info["indexes"] = [r["columns"] for r in self.session.rows(
                """SELECT array_agg(a.attname ORDER BY k.ord) AS columns
                   FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
                   CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                   LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   WHERE i.indrelid = to_regclass(%s) AND am.amname = 'btree' AND i.indisvalid
                     AND i.indpred IS NULL AND k.ord <= i.indnkeyatts
                   GROUP BY i.indexrelid""", (name,))]
            info["n_distinct"] = {r["attname"]: r["n_distinct"] for r in self.session.rows(
                "SELECT attname, n_distinct::float8 AS n_distinct FROM pg_stats WHERE schemaname = %s "
                "AND tablename = %s", (info["schema"], info["table"]))}
            return info
        except Exception:
            return None

    def foreign_key(self, constraint: str, referenced: str | None) -> dict[str, Any] | None:
        """The referencing side of a foreign key (schema, table, columns in order) and whether an index
        on the referencing table leads with those columns."""
        try:
            rows = self.session.rows(
                """SELECT n.nspname AS schema, c.relname AS table,
                          array_agg(a.attname ORDER BY k.ord) AS columns
                   FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   CROSS JOIN LATERAL unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.attnum
                   WHERE f.contype = 'f' AND f.conname = %s
                     AND (%s::text IS NULL OR f.confrelid::regclass::text IN (%s, quote_ident(%s)))
                   GROUP BY n.nspname, c.relname LIMIT 1""", (constraint, referenced, referenced, referenced))
        except Exception:
            return None
        if not rows:
            return None
        fk = rows[0]
        info = self.table(fk["schema"], fk["table"]) or {}
        width = len(fk["columns"])
        fk["indexed"] = any(list(ix[:width]) == list(fk["columns"]) for ix in info.get("indexes") or [])
        return fk
