"""The MariaDB fixtures of ``tests/mysql`` for the MariaDB scenarios."""

from tests.mysql.conftest import my, my_db  # noqa: F401
