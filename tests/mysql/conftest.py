"""The MySQL/MariaDB fixtures live in tests/conftest.py: every folder shares the same servers."""
