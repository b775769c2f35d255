"""Ironwatch: a SIEM for industrial plants.

Processes (see docs/architecture.md): intake (sockets, framing, WAL), pipeline workers
(parse, normalize), core (the only DuckDB owner, HTTP API, CLI socket), supervised by
``ironwatch serve``.
"""

import os

# numpy's OpenBLAS starts a thread per core that spins after each call; Ironwatch uses no
# linear algebra, and its processes already fill the cores (set before numpy is imported)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
