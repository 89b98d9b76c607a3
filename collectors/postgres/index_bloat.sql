-- metric: index_bloat
-- about: estimated bloat of B-tree indexes of 1 MB or more, from statistics (ioguix's estimator over
-- about: pg_stats, as postgres-checkup F005): no scan of any index. Partial and expression indexes are
-- about: flagged as unreliable (the estimator is known to be far off for them).
-- privileges: SELECT on the tables' columns (pg_stats filters what the role cannot read)
-- order: 41
--
-- Scale: one scan of pg_index; the index, its table, the columns and their pg_stats rows by key (LATERAL
-- subqueries with OFFSET 0 and scalar subqueries are probes, never joins planned from the catalog's
-- own statistics), so the cost is linear in the number of indexes of 1 MB or more.
WITH idx AS (
  SELECT ci.relname AS index_name,
         ci.reltuples,
         ci.relpages,
         i.indrelid AS tbl_oid,
         i.indexrelid AS idx_oid,
         i.indpred IS NOT NULL OR i.indexprs IS NOT NULL AS partial_or_expression,
         coalesce(substring(array_to_string(ci.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::smallint, 90)
           AS fillfactor,
         i.indnatts,
         string_to_array(textin(int2vectorout(i.indkey)), ' ')::int[] AS indkey,
         ct.relname AS table_name,
         ct.schema
  FROM pg_index i
  CROSS JOIN LATERAL (SELECT c.relname, c.reltuples, c.relpages, c.reloptions, c.relam
                      FROM pg_class c WHERE c.oid = i.indexrelid OFFSET 0) ci
  CROSS JOIN LATERAL (SELECT c.relname, (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) AS schema
                      FROM pg_class c WHERE c.oid = i.indrelid OFFSET 0) ct
  WHERE ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
    AND ci.relpages >= 128
    AND i.indisvalid
    AND ct.schema NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
), cols AS (
  SELECT idx.*, pos, a.attname, a.atttypid, a.attrelname
  FROM idx
  CROSS JOIN LATERAL generate_series(1, idx.indnatts) AS pos
  -- a key column is the table's attribute; an expression (indkey 0) is the index's own attribute,
  -- whose statistics pg_stats lists under the index's name
  LEFT JOIN LATERAL (SELECT a.attname, a.atttypid,
                            CASE WHEN idx.indkey[pos] = 0 THEN idx.index_name ELSE idx.table_name END AS attrelname
                     FROM pg_attribute a
                     WHERE a.attrelid = CASE WHEN idx.indkey[pos] = 0 THEN idx.idx_oid ELSE idx.tbl_oid END
                       AND a.attnum = CASE WHEN idx.indkey[pos] = 0 THEN pos ELSE idx.indkey[pos] END
                     OFFSET 0) a ON true
), stats AS (
  SELECT c.schema, c.table_name, c.index_name, c.reltuples, c.relpages, c.idx_oid, c.fillfactor,
         bool_or(c.partial_or_expression) AS partial_or_expression,
         current_setting('block_size')::numeric AS bs,
         CASE WHEN version() ~ 'mingw32|64-bit|x86_64|ppc64|ia64|amd64|aarch64' THEN 8 ELSE 4 END AS maxalign,
         24 AS pagehdr,
         16 AS pageopqdata,
         CASE WHEN max(coalesce(s.null_frac, 0)) = 0 THEN 8 ELSE 8 + ((32 + 8 - 1) / 8) END AS index_tuple_hdr_bm,
         sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 1024)) AS nulldatawidth,
         max(CASE WHEN c.atttypid = 'pg_catalog.name'::regtype THEN 1 ELSE 0 END) > 0 AS is_na,
         count(s.null_frac) < count(*) AS missing_stats
  FROM cols c
  LEFT JOIN LATERAL (SELECT s.null_frac, s.avg_width FROM pg_stats s
                     WHERE s.schemaname = c.schema AND s.tablename = c.attrelname AND s.attname = c.attname
                       AND NOT s.inherited
                     OFFSET 0) s ON true
  GROUP BY 1, 2, 3, 4, 5, 6, 7
), widths AS (
  SELECT *,
         (index_tuple_hdr_bm + maxalign
            - CASE WHEN index_tuple_hdr_bm % maxalign = 0 THEN maxalign ELSE index_tuple_hdr_bm % maxalign END
          + nulldatawidth + maxalign
            - CASE WHEN nulldatawidth = 0 THEN 0
                   WHEN nulldatawidth::integer % maxalign = 0 THEN maxalign
                   ELSE nulldatawidth::integer % maxalign END
         )::numeric AS nulldatahdrwidth
  FROM stats
), est AS (
  SELECT *,
         coalesce(1 + ceil(reltuples / floor((bs - pageopqdata - pagehdr) * fillfactor
                                             / (100 * (4 + nulldatahdrwidth)::float))), 0) AS est_pages_ff
  FROM widths
)
SELECT schema,
       table_name AS "table",
       index_name AS "index",
       idx_oid::bigint AS indexrelid,
       (bs * relpages)::bigint AS real_bytes,
       fillfactor::int AS fillfactor,
       greatest(relpages - est_pages_ff, 0)::bigint * bs::bigint AS bloat_bytes,
       CASE WHEN relpages > 0 THEN greatest(100 * (relpages - est_pages_ff)::float8 / relpages, 0) ELSE 0 END
         AS bloat_pct,
       reltuples::float8 AS reltuples,
       is_na OR missing_stats OR partial_or_expression AS estimate_unreliable
FROM est
ORDER BY bloat_bytes DESC
