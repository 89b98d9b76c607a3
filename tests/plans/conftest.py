"""The engine-neutral plan tests parse real PostgreSQL plans too: they borrow its shop database."""

from tests.postgres.plans.conftest import shop  # noqa: F401  (a fixture, re-exported for these tests)
