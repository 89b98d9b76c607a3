-- metric: table_bloat
-- about: estimated heap bloat per table from statistics (the ioguix estimator over pg_stats):
-- about: no scan of user data. Empty when pg_stats hides the columns from this role.
-- privileges: SELECT on the tables' columns (pg_stats filters what the role cannot read)
-- order: 40
WITH cols AS (
  SELECT tbl.oid AS relid,
         ns.nspname AS schema,
         tbl.relname AS "table",
         tbl.reltuples,
         tbl.relpages AS heap_pages,
         coalesce(toast.relpages, 0) AS toast_pages,
         coalesce(toast.reltuples, 0) AS toast_tuples,
         coalesce(substring(array_to_string(tbl.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::smallint,
                  100) AS fillfactor,
         current_setting('block_size')::numeric AS bs,
         CASE WHEN version() ~ 'mingw32|64-bit|x86_64|ppc64|ia64|amd64|aarch64' THEN 8 ELSE 4 END AS ma,
         24 AS page_hdr,
         23 + CASE WHEN max(coalesce(s.null_frac, 0)) > 0 THEN (7 + count(s.attname)) / 8 ELSE 0::int END
           AS tpl_hdr_size,
         sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS tpl_data_size,
         bool_or(att.atttypid = 'pg_catalog.name'::regtype)
           OR sum(CASE WHEN att.attnum > 0 THEN 1 ELSE 0 END) <> count(s.attname) AS is_na
  FROM pg_attribute att
  JOIN pg_class tbl ON att.attrelid = tbl.oid
  JOIN pg_namespace ns ON ns.oid = tbl.relnamespace
  LEFT JOIN pg_stats s ON s.schemaname = ns.nspname AND s.tablename = tbl.relname
       AND s.inherited = false AND s.attname = att.attname
  LEFT JOIN pg_class toast ON tbl.reltoastrelid = toast.oid
  WHERE NOT att.attisdropped
    AND att.attnum > 0
    AND tbl.relkind IN ('r', 'm')
    AND tbl.relpages > 0
    AND ns.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND ns.nspname NOT LIKE 'pg_temp%'
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
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
