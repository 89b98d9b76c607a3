-- metric: sequences
-- about: sequences, their last value, and the type of the column each one feeds (the real limit)
-- privileges: USAGE or SELECT on a sequence to read its last_value (NULL otherwise: reported as unreadable)
-- order: 23
--
-- Scale: one scan of pg_sequence; what each sequence feeds is found by index probes per sequence
-- (a LATERAL subquery with a set operation is never flattened into a join), so the cost stays
-- linear whatever the catalog statistics say. The pg_sequences view is not used: joined back to
-- pg_class by name with stale statistics, its plan was quadratic (50 s on 10,000 sequences).
SELECT n.nspname AS schema,
       c.relname AS sequence,
       s.seqtypid::regtype::text AS sequence_type,
       s.seqstart::numeric::float8 AS start_value,
       s.seqmin::numeric::float8 AS min_value,
       s.seqmax::numeric::float8 AS max_value,
       s.seqincrement::bigint AS increment_by,
       s.seqcycle AS cycle,
       CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE')
            THEN pg_sequence_last_value(c.oid) END::numeric::float8 AS last_value,
       has_sequence_privilege(c.oid, 'SELECT') OR has_sequence_privilege(c.oid, 'USAGE') AS readable,
       f.table_schema,
       f."table",
       f."column",
       f.column_type
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
  SELECT tn.nspname AS table_schema,
         t.relname AS "table",
         a.attname AS "column",
         format_type(a.atttypid, a.atttypmod) AS column_type
  FROM (
    -- owned (serial) and identity sequences: the sequence depends on its column
    SELECT d.refobjid AS relid, d.refobjsubid AS attnum
    FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.objsubid = 0
      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
    UNION
    -- column defaults calling nextval() on a sequence they do not own
    -- (OFFSET 0 keeps the classid test out of the index scan: with stale statistics the planner
    -- took the depender index on classid alone and read every default for every sequence)
    SELECT ad.adrelid, ad.adnum
    FROM (SELECT d.classid, d.objid
          FROM pg_depend d
          WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid = 0
          OFFSET 0) d
    JOIN pg_attrdef ad ON ad.oid = d.objid
    WHERE d.classid = 'pg_attrdef'::regclass
  ) fd
  JOIN pg_class t ON t.oid = fd.relid
  JOIN pg_namespace tn ON tn.oid = t.relnamespace
  JOIN pg_attribute a ON a.attrelid = fd.relid AND a.attnum = fd.attnum
) f ON true
WHERE c.relkind = 'S'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT pg_is_other_temp_schema(n.oid)
ORDER BY n.nspname, c.relname
