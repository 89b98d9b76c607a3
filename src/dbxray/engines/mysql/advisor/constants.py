"""What the MySQL/MariaDB advisor knows about types, limits and its defaults."""

from __future__ import annotations

NO_HYPOTHETICAL = ("MySQL and MariaDB have no hypothetical indexes, so this suggestion is not proven by the "
                   "planner: build it on a replica or staging copy first and check that EXPLAIN switches from a "
                   "full scan (type ALL) to ref/range on it.")
DEFAULTS = {"min_rows": 5000, "min_calls": 10, "min_examined_ratio": 10.0, "max_rows_per_value_pct": 10.0,
            "min_improvement": 0.5}
NUMERIC = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float",
           "double", "real", "bit", "year", "bool", "boolean"}
TEMPORAL = {"date": "2000-01-01", "datetime": "2000-01-01 00:00:00", "timestamp": "2000-01-01 00:00:00",
            "time": "00:00:00"}
LONG_TEXT = {"tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob", "longblob", "json"}
MAX_KEY_BYTES = 3072
# the collectors advise_mysql reads (``dbxray indexes`` runs only these)
COLLECTORS = {"server", "settings", "status", "ps_setup", "statements", "slow_log", "tables", "indexes",
              "index_sizes", "columns", "column_stats"}
PREFIX_CHARS = 191  # 764 bytes in utf8mb4: fits every InnoDB row format
