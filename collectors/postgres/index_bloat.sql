-- metric: index_bloat
-- about: estimated bloat of B-tree indexes of 1 MB or more, from statistics (ioguix's estimator over
-- about: pg_stats, as postgres-checkup F005): no scan of any index. Partial and expression indexes are
-- about: flagged as unreliable (the estimator is known to be far off for them).
-- privileges: SELECT on the tables' columns (pg_stats filters what the role cannot read)
-- order: 41
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
         string_to_array(textin(int2vectorout(i.indkey)), ' ')::int[] AS indkey
  FROM pg_index i
  JOIN pg_class ci ON ci.oid = i.indexrelid
  WHERE ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
    AND ci.relpages >= 128
    AND i.indisvalid
), cols AS (
  SELECT idx.*, pos,
         coalesce(a1.attname, a2.attname) AS attname,
         coalesce(a1.atttypid, a2.atttypid) AS atttypid,
         CASE WHEN a1.attnum IS NULL THEN idx.index_name ELSE ct.relname END AS attrelname,
         ct.relname AS table_name,
         ct.relnamespace
  FROM idx
  CROSS JOIN LATERAL generate_series(1, idx.indnatts) AS pos
  JOIN pg_class ct ON ct.oid = idx.tbl_oid
  LEFT JOIN pg_attribute a1 ON idx.indkey[pos] <> 0 AND a1.attrelid = idx.tbl_oid AND a1.attnum = idx.indkey[pos]
  LEFT JOIN pg_attribute a2 ON idx.indkey[pos] = 0 AND a2.attrelid = idx.idx_oid AND a2.attnum = pos
), stats AS (
  SELECT n.nspname AS schema, c.table_name, c.index_name, c.reltuples, c.relpages, c.idx_oid, c.fillfactor,
         bool_or(c.partial_or_expression) AS partial_or_expression,
         current_setting('block_size')::numeric AS bs,
         CASE WHEN version() ~ 'mingw32|64-bit|x86_64|ppc64|ia64|amd64|aarch64' THEN 8 ELSE 4 END AS maxalign,
         24 AS pagehdr,
         16 AS pageopqdata,
         CASE WHEN max(coalesce(s.null_frac, 0)) = 0 THEN 8 ELSE 8 + ((32 + 8 - 1) / 8) END AS index_tuple_hdr_bm,
         sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 1024)) AS nulldatawidth,
         max(CASE WHEN c.atttypid = 'pg_catalog.name'::regtype THEN 1 ELSE 0 END) > 0 AS is_na,
         count(s.attname) < count(*) AS missing_stats
  FROM cols c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.attrelname AND s.attname = c.attname
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
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
