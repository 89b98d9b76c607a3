"""engines/postgres/plans."""
