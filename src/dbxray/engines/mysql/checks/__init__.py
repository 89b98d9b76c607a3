"""The MySQL / MariaDB checks, one module per area: this bundle hands the registry its modules."""

ENGINES = ("mysql",)
MODULES = tuple(f"{__name__}.{m}" for m in (
    "deadlocks",
    "indexes",
    "schema",
    "security",
    "settings",
    "statements",
    "transactions",
))
