-- metric: ps_setup
-- about: is performance_schema really collecting what we read: the digest consumer, the statement and
-- about: table-io instruments, and whether the digest table overflowed (DIGEST IS NULL row)
-- privileges: SELECT on performance_schema
-- order: 4
SELECT @@performance_schema AS performance_schema,
       @@performance_schema_digests_size AS digests_size,
       (SELECT ENABLED FROM performance_schema.setup_consumers WHERE NAME = 'statements_digest') AS statements_digest,
       (SELECT ENABLED FROM performance_schema.setup_consumers WHERE NAME = 'events_statements_current')
         AS events_statements_current,
       (SELECT COUNT(*) FROM performance_schema.setup_instruments
         WHERE NAME LIKE 'statement/sql/%' AND ENABLED = 'YES') AS statement_instruments_on,
       (SELECT COUNT(*) FROM performance_schema.setup_instruments WHERE NAME LIKE 'statement/sql/%')
         AS statement_instruments,
       (SELECT ENABLED FROM performance_schema.setup_instruments WHERE NAME = 'wait/io/table/sql/handler')
         AS table_io_instrument,
       (SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest) AS digests,
       (SELECT CAST(COALESCE(SUM(COUNT_STAR), 0) AS UNSIGNED) FROM performance_schema.events_statements_summary_by_digest
         WHERE DIGEST IS NULL) AS digest_overflow_calls
