"""Plans: one tree for every engine's EXPLAIN output, its analysis, and the explain command's logic."""
