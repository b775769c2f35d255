"""Pipeline workers: read WAL batches, parse, normalize, hand Arrow batches to the core."""
