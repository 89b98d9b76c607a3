"""The MySQL / MariaDB settings worth showing an advisor (the LLM payload): those that shape plans, memory,
vacuum or locking; ``CORE`` are kept whatever the token budget."""

NOTABLE = (
    "innodb_buffer_pool_size", "innodb_buffer_pool_instances", "innodb_log_file_size", "innodb_redo_log_capacity",
    "innodb_log_buffer_size", "innodb_flush_log_at_trx_commit", "sync_binlog", "innodb_flush_method",
    "innodb_io_capacity", "innodb_io_capacity_max", "innodb_lock_wait_timeout", "lock_wait_timeout",
    "innodb_deadlock_detect", "innodb_print_all_deadlocks", "innodb_stats_persistent", "innodb_stats_auto_recalc",
    "innodb_adaptive_hash_index", "innodb_file_per_table", "max_connections", "thread_cache_size",
    "table_open_cache", "table_definition_cache", "tmp_table_size", "max_heap_table_size", "sort_buffer_size",
    "join_buffer_size", "read_rnd_buffer_size", "long_query_time", "slow_query_log", "performance_schema",
    "optimizer_switch", "optimizer_search_depth", "join_cache_level", "transaction_isolation", "tx_isolation",
    "wait_timeout", "interactive_timeout", "max_execution_time", "max_statement_time", "query_cache_type",
    "query_cache_size", "binlog_format", "innodb_purge_threads", "innodb_max_purge_lag",
)

CORE = (
    "innodb_buffer_pool_size", "innodb_log_file_size", "innodb_redo_log_capacity", "innodb_flush_log_at_trx_commit",
    "sync_binlog", "max_connections", "tmp_table_size", "max_heap_table_size", "sort_buffer_size",
    "join_buffer_size", "long_query_time", "performance_schema",
)
