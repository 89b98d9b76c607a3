"""Test-only helpers (they stay out of the wheel)."""
