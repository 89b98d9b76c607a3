-- metric: sequences
-- about: sequences, their last value, and the type of the column each one feeds (the real limit)
-- privileges: USAGE or SELECT on a sequence to read its last_value (NULL otherwise: reported as unreadable)
-- order: 23
WITH feeds AS (
  -- owned (serial) and identity sequences
  SELECT d.objid AS seqid, d.refobjid AS relid, d.refobjsubid AS attnum
  FROM pg_depend d
  WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
    AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
  UNION
  -- column defaults calling nextval() on a sequence they do not own
  SELECT d.refobjid, ad.adrelid, ad.adnum
  FROM pg_depend d
  JOIN pg_attrdef ad ON ad.oid = d.objid
  WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass
)
SELECT s.schemaname AS schema,
       s.sequencename AS sequence,
       s.data_type::text AS sequence_type,
       s.start_value::numeric::float8 AS start_value,
       s.min_value::numeric::float8 AS min_value,
       s.max_value::numeric::float8 AS max_value,
       s.increment_by::bigint AS increment_by,
       s.cycle AS cycle,
       s.last_value::numeric::float8 AS last_value,
       has_sequence_privilege(c.oid, 'SELECT') OR has_sequence_privilege(c.oid, 'USAGE') AS readable,
       tn.nspname AS table_schema,
       t.relname AS "table",
       a.attname AS "column",
       format_type(a.atttypid, a.atttypmod) AS column_type
FROM pg_sequences s
JOIN pg_namespace sn ON sn.nspname = s.schemaname
JOIN pg_class c ON c.relname = s.sequencename AND c.relnamespace = sn.oid AND c.relkind = 'S'
LEFT JOIN feeds f ON f.seqid = c.oid
LEFT JOIN pg_class t ON t.oid = f.relid
LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = f.relid AND a.attnum = f.attnum
WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema')
ORDER BY s.schemaname, s.sequencename
