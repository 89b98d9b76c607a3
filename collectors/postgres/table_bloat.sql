-- metric: table_bloat
-- about: estimated heap bloat per table from statistics (the ioguix estimator over pg_stats):
-- about: no scan of user data. Empty when pg_stats hides the columns from this role.
-- privileges: SELECT on the tables' columns (pg_stats filters what the role cannot read)
-- order: 40
--
-- Scale: the tables (one scan of pg_class, attributes counted by a probe per table) and pg_stats
-- (one scan, grouped per table) are matched by grouping their union on (schema, table), not by a
-- join: a join planned with stale catalog statistics can loop over one side for every row of the other.
WITH tbl AS (
  SELECT c.oid AS relid,
         (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) AS schema,
         c.relname AS "table",
         c.reltuples,
         c.relpages AS heap_pages,
         coalesce(toast.relpages, 0) AS toast_pages,
         coalesce(toast.reltuples, 0) AS toast_tuples,
         coalesce(substring(array_to_string(c.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::smallint,
                  100) AS fillfactor,
         att.n_att,
         att.has_name
  FROM pg_class c
  LEFT JOIN LATERAL (SELECT t.relpages, t.reltuples FROM pg_class t WHERE t.oid = c.reltoastrelid OFFSET 0) toast
       ON true
  CROSS JOIN LATERAL (SELECT count(*) AS n_att, bool_or(a.atttypid = 'pg_catalog.name'::regtype) AS has_name
                      FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) att
  WHERE c.relkind IN ('r', 'm')
    AND c.relpages > 0
), st AS (
  SELECT s.schemaname AS schema,
         s.tablename AS "table",
         count(*) AS n_stats,
         max(coalesce(s.null_frac, 0)) AS max_null_frac,
         sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS data_width
  FROM pg_stats s
  WHERE NOT s.inherited
    AND s.schemaname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  GROUP BY 1, 2
), matched AS (
  SELECT schema, "table",
         max(relid) AS relid, max(reltuples) AS reltuples, max(heap_pages) AS heap_pages,
         max(toast_pages) AS toast_pages, max(toast_tuples) AS toast_tuples, max(fillfactor) AS fillfactor,
         max(n_att) AS n_att, bool_or(has_name) AS has_name,
         coalesce(max(n_stats), 0) AS n_stats, coalesce(max(max_null_frac), 0) AS max_null_frac,
         coalesce(max(data_width), 0) AS data_width
  FROM (SELECT schema, "table", relid, reltuples, heap_pages, toast_pages, toast_tuples, fillfactor, n_att, has_name,
               NULL::bigint AS n_stats, NULL::real AS max_null_frac, NULL::float8 AS data_width
        FROM tbl
        WHERE schema NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND schema NOT LIKE 'pg_temp%'
        UNION ALL
        SELECT schema, "table", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, n_stats, max_null_frac, data_width
        FROM st) u
  GROUP BY schema, "table"
  HAVING count(relid) > 0
), cols AS (
  SELECT relid, schema, "table", reltuples, heap_pages, toast_pages, toast_tuples, fillfactor,
         current_setting('block_size')::numeric AS bs,
         CASE WHEN version() ~ 'mingw32|64-bit|x86_64|ppc64|ia64|amd64|aarch64' THEN 8 ELSE 4 END AS ma,
         24 AS page_hdr,
         23 + CASE WHEN max_null_frac > 0 THEN (7 + n_stats) / 8 ELSE 0::int END AS tpl_hdr_size,
         data_width AS tpl_data_size,
         has_name OR n_att <> n_stats AS is_na
  FROM matched
), sized AS (
  SELECT *,
         (4 + tpl_hdr_size + tpl_data_size + (2 * ma)
           - CASE WHEN tpl_hdr_size % ma = 0 THEN ma ELSE tpl_hdr_size % ma END
           - CASE WHEN ceil(tpl_data_size)::int % ma = 0 THEN ma ELSE ceil(tpl_data_size)::int % ma END
         ) AS tpl_size,
         heap_pages + toast_pages AS tbl_pages
  FROM cols
), est AS (
  SELECT *,
         ceil(reltuples / ((bs - page_hdr) * fillfactor / (tpl_size * 100))) + ceil(toast_tuples / 4)
           AS est_pages_ff
  FROM sized
  WHERE tpl_size > 0
)
SELECT relid::bigint AS relid,
       schema,
       "table",
       (bs * tbl_pages)::bigint AS real_bytes,
       fillfactor::int AS fillfactor,
       greatest(tbl_pages - est_pages_ff, 0)::bigint * bs::bigint AS bloat_bytes,
       CASE WHEN tbl_pages > 0 AND tbl_pages - est_pages_ff > 0
            THEN 100 * (tbl_pages - est_pages_ff) / tbl_pages::float8 ELSE 0 END AS bloat_pct,
       reltuples::float8 AS reltuples,
       is_na AS estimate_unreliable
FROM est
ORDER BY bloat_bytes DESC
