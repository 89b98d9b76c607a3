"""The PostgreSQL settings worth showing an advisor (the LLM payload): those that shape plans, memory,
vacuum or locking; ``CORE`` are kept whatever the token budget."""

NOTABLE = (
    "shared_buffers", "effective_cache_size", "work_mem", "hash_mem_multiplier", "maintenance_work_mem",
    "max_connections", "max_worker_processes", "max_parallel_workers", "max_parallel_workers_per_gather",
    "random_page_cost", "seq_page_cost", "effective_io_concurrency", "default_statistics_target", "autovacuum",
    "autovacuum_max_workers", "autovacuum_naptime", "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_threshold",
    "autovacuum_analyze_scale_factor", "autovacuum_vacuum_cost_limit", "autovacuum_vacuum_cost_delay",
    "autovacuum_freeze_max_age", "checkpoint_timeout", "max_wal_size", "wal_buffers", "synchronous_commit", "jit",
    "plan_cache_mode", "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout",
    "deadlock_timeout", "track_io_timing", "track_activity_query_size", "temp_buffers", "huge_pages",
    "enable_seqscan", "enable_indexscan", "enable_bitmapscan", "enable_hashjoin", "enable_mergejoin",
    "enable_nestloop", "enable_sort", "enable_hashagg", "enable_partition_pruning", "from_collapse_limit",
    "join_collapse_limit", "geqo_threshold", "log_min_duration_statement", "shared_preload_libraries",
    "default_transaction_isolation", "max_locks_per_transaction",
)

CORE = (
    "shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem", "max_connections",
    "random_page_cost", "autovacuum", "track_io_timing", "statement_timeout", "idle_in_transaction_session_timeout",
    "max_parallel_workers_per_gather", "jit",
)
