"""engines/mysql/advisor."""
