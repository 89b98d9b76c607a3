-- metric: sequences
-- about: sequences, their last value, and the type of the column each one feeds (the real limit)
-- privileges: USAGE or SELECT on a sequence to read its last_value (NULL otherwise: reported as unreadable)
-- order: 23
-- page_size: 2000
-- page_key: oid
--
-- Scale: one scan of pg_sequence; what each sequence feeds is found by index probes per sequence
-- (a LATERAL subquery with a set operation is never flattened into a join), so the cost stays
-- linear whatever the catalog statistics say. The pg_sequences view is not used: joined back to
-- pg_class by name with stale statistics, its plan was quadratic (50 s on 10,000 sequences).
-- Pages of 2,000 sequences in oid order (dbxray.collect.query_collector): pg_sequence_last_value
-- locks each sequence until the end of the transaction, and 50,000 locks in one statement exhaust
-- a stock server's lock table ("out of shared memory").
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
       f.column_type,
       c.oid::bigint AS oid
FROM (
  -- this page: the next sequences in oid order (an index scan of pg_sequence, stopped at the limit)
  SELECT s.*
  FROM pg_sequence s
  CROSS JOIN LATERAL (SELECT c.relkind, c.relnamespace FROM pg_class c WHERE c.oid = s.seqrelid OFFSET 0) c
  WHERE s.seqrelid > %(after)s::bigint::oid
    AND c.relkind = 'S'
    AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    AND NOT pg_is_other_temp_schema(c.relnamespace)
  ORDER BY s.seqrelid
  LIMIT %(page_size)s
) s
CROSS JOIN LATERAL (SELECT c.oid, c.relname, c.relnamespace FROM pg_class c WHERE c.oid = s.seqrelid OFFSET 0) c
CROSS JOIN LATERAL (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace OFFSET 0) n
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
ORDER BY s.seqrelid
