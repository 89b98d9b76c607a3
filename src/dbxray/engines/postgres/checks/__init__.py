"""The PostgreSQL checks, one module per area: this bundle hands the registry its modules."""

ENGINES = ("postgres",)
MODULES = tuple(f"{__name__}.{m}" for m in (
    "caching",
    "design",
    "design_access",
    "horizon",
    "indexes",
    "maintenance",
    "schema",
    "security",
    "settings",
    "statements",
    "transactions",
    "transactions_pattern",
))
