"""Intake: sockets and framing in, durable WAL batches out; it never parses."""
