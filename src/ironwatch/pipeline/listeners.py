"""What a WAL record's listener name tells about its events.

A record's listener is where it came in (``syslog-tcp``, ``http``, ``hec``, …). Some inputs
append what they know about the records they take: a file import its path
(``import:<path>``), the shipper endpoints their request's metadata as a URL query (Splunk
HEC ``/raw``'s ``host``, ``source``, ``sourcetype`` and ``index`` parameters, the
Elasticsearch ``_bulk`` index). The pipeline reads it back here, on both parse paths.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

#: what a shipper endpoint's listener name may carry for its events (``hec?host=…``, ``es-bulk?es_index=…``)
LISTENER_FIELDS = {"host": "host.name", "source": "hec.source", "sourcetype": "hec.sourcetype",
                   "index": "hec.index", "es_index": "es.index"}


#: longest value kept (a host name, a source path, an index name)
MAX_VALUE = 512


def file_path(listener: str) -> str | None:
    """The imported file a listener name gives, if any."""
    return listener[7:] if listener.startswith("import:") else None


def shipper_meta(listener: str) -> bool:
    """Whether the listener name carries shipper metadata (records of such listeners take
    the reference parsers, which apply it)."""
    return "?" in listener and not listener.startswith("import:")


@lru_cache(maxsize=1024)
def listener_meta(listener: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A WAL listener name as (listener, fields it gives its events).

    ``import:<path>`` gives ``log.file.path``; the shipper endpoints append their request's
    metadata as a query: HEC ``/raw``'s ``host``, ``source``, ``sourcetype`` and ``index``
    parameters (``hec?host=…``) and the Elasticsearch ``_bulk`` index (``es-bulk?es_index=…``).
    ``host.name`` from there names the host only when the event names none.
    """
    path = file_path(listener)
    if path is not None:
        return "import", (("log.file.path", path),)
    name, _, query = listener.partition("?")
    if not query:
        return name, ()
    return name, tuple((LISTENER_FIELDS[k], v) for k, v in parse_qsl(query) if k in LISTENER_FIELDS and v)


def with_meta(listener: str, params: dict[str, str]) -> str:
    """``listener`` carrying ``params`` (those ``listener_meta`` knows, non-empty) for its events."""
    kept = {k: v[:MAX_VALUE] for k, v in params.items() if k in LISTENER_FIELDS and v}
    return f"{listener}?{urlencode(sorted(kept.items()))}" if kept else listener
