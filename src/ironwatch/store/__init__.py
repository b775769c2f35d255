"""Storage: the hot DuckDB store, its migrations, and the integrity primitive."""
