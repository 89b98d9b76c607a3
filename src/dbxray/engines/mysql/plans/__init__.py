"""engines/mysql/plans."""
