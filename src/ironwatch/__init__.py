"""Ironwatch: a SIEM for industrial plants.

Processes (see docs/architecture.md): intake (sockets, framing, WAL), pipeline workers
(parse, normalize), core (the only DuckDB owner, HTTP API, CLI socket), supervised by
``ironwatch serve``.
"""

__version__ = "0.1.0"
