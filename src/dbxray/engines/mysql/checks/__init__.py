"""The MySQL / MariaDB checks, one module per area: this bundle hands the registry its modules."""

ENGINES = ("mysql",)
MODULES = tuple(f"{__name__}.{m}" for m in (
    "caching",
    "deadlocks",
    "design",
    "design_access",
    "indexes",
    "schema",
    "security",
    "settings",
    "statements",
    "transactions",
    "transactions_pattern",
))
