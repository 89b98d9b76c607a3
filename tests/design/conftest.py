"""The PostgreSQL and MySQL/MariaDB fixtures (``pg_db``, ``my_db``) live in tests/conftest.py: every folder
shares the same servers."""
