"""The event row: typed columns for the ECS core, everything else in one JSON column.

``EVENT_COLUMNS`` is the single table that maps ECS dotted names to store columns; the
pipeline builds Arrow batches from it, the store creates day segments from it, and search
resolves ``field:value`` through it (other fields are looked up in ``fields``, a JSON object
keyed by dotted ECS names). Adding a typed column is a migration plus one line here.
"""

from __future__ import annotations

from typing import NamedTuple

import pyarrow as pa


class Column(NamedTuple):
    field: str      # ECS dotted name
    name: str       # store column
    arrow: pa.DataType
    sql: str
    #: DuckDB compression for the column, where the choice is ours (see ``segment_columns_sql``)
    compression: str = ""


TS = pa.timestamp("us", tz="UTC")

EVENT_COLUMNS: tuple[Column, ...] = (
    Column("event.id", "event_id", pa.uuid(), "UUID"),
    Column("@timestamp", "ts", TS, "TIMESTAMPTZ"),
    Column("event.created", "created", TS, "TIMESTAMPTZ"),
    Column("event.dataset", "dataset", pa.string(), "VARCHAR"),
    Column("event.kind", "kind", pa.string(), "VARCHAR"),
    Column("event.category", "category", pa.list_(pa.string()), "VARCHAR[]"),
    Column("event.type", "type", pa.list_(pa.string()), "VARCHAR[]"),
    Column("event.action", "action", pa.string(), "VARCHAR"),
    Column("event.outcome", "outcome", pa.string(), "VARCHAR"),
    Column("event.code", "code", pa.string(), "VARCHAR"),
    Column("event.provider", "provider", pa.string(), "VARCHAR"),
    Column("event.severity", "severity", pa.int64(), "BIGINT"),
    Column("event.timezone", "timezone", pa.string(), "VARCHAR"),
    Column("host.name", "host_name", pa.string(), "VARCHAR"),
    Column("source.ip", "source_ip", pa.string(), "VARCHAR"),
    Column("source.port", "source_port", pa.int64(), "BIGINT"),
    Column("destination.ip", "destination_ip", pa.string(), "VARCHAR"),
    Column("destination.port", "destination_port", pa.int64(), "BIGINT"),
    Column("user.name", "user_name", pa.string(), "VARCHAR"),
    Column("process.name", "process_name", pa.string(), "VARCHAR"),
    Column("process.pid", "process_pid", pa.int64(), "BIGINT"),
    Column("log.source.address", "log_source_address", pa.string(), "VARCHAR"),
    Column("log.syslog.priority", "syslog_priority", pa.int64(), "BIGINT"),
    Column("log.syslog.facility.code", "syslog_facility", pa.int64(), "BIGINT"),
    Column("log.syslog.facility.name", "syslog_facility_name", pa.string(), "VARCHAR"),
    Column("log.syslog.severity.code", "syslog_severity", pa.int64(), "BIGINT"),
    Column("log.syslog.severity.name", "syslog_severity_name", pa.string(), "VARCHAR"),
    Column("log.syslog.hostname", "syslog_hostname", pa.string(), "VARCHAR"),
    Column("log.syslog.appname", "syslog_appname", pa.string(), "VARCHAR"),
    Column("log.syslog.procid", "syslog_procid", pa.string(), "VARCHAR"),
    Column("log.syslog.msgid", "syslog_msgid", pa.string(), "VARCHAR"),
    Column("log.syslog.version", "syslog_version", pa.string(), "VARCHAR"),
    Column("log.syslog.format", "syslog_format", pa.string(), "VARCHAR"),
    Column("message", "message", pa.string(), "VARCHAR", "zstd"),
    Column("event.original", "original", pa.binary(), "BLOB", "zstd"),
    Column("ironwatch.listener", "listener", pa.string(), "VARCHAR"),
    Column("ironwatch.wal_offset", "wal_offset", pa.uint64(), "UBIGINT"),
    Column("ironwatch.parser", "parser", pa.string(), "VARCHAR"),
)

#: JSON text written by the pipeline (orjson); stored as VARCHAR because DuckDB's JSON type
#: re-parses every document on insert (about 5 µs per kilobyte), and queries read it with the
#: JSON functions all the same (``json_extract_string(fields, '$."winlog.channel"')``)
FIELDS_COLUMN = Column("", "fields", pa.string(), "VARCHAR", "zstd")

#: ``event.hash`` is not stored: it is the SHA-256 of ``event.original``, computed when read.
#: The hash taken at receipt lives in the WAL, where the batch chain protects it.
HASH_EXPR = "sha256(original)"

BY_FIELD = {c.field: c for c in EVENT_COLUMNS}
BY_NAME = {c.name: c for c in EVENT_COLUMNS}

EVENT_SCHEMA = pa.schema([pa.field(c.name, c.arrow) for c in (*EVENT_COLUMNS, FIELDS_COLUMN)])

DEAD_LETTER_SCHEMA = pa.schema([
    pa.field("event_id", pa.string()),
    pa.field("received", TS),
    pa.field("listener", pa.string()),
    pa.field("source_address", pa.string()),
    pa.field("format", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("original", pa.binary()),
    pa.field("hash", pa.string()),
    pa.field("wal_offset", pa.uint64()),
])

#: one Sigma match, written by a worker next to its events (``<set>.detections.arrow``) and
#: stored by the core in the same transaction (table ``detections``, migration 0005)
DETECTION_SCHEMA = pa.schema([
    pa.field("detection_id", pa.uuid()),       # uuid5 of event id + rule id: a redone batch repeats it
    pa.field("rule_id", pa.string()),
    pa.field("rule_title", pa.string()),
    pa.field("level", pa.string()),            # after any level override
    pa.field("status", pa.string()),
    pa.field("tags", pa.list_(pa.string())),
    pa.field("attack_techniques", pa.list_(pa.string())),
    pa.field("attack_tactics", pa.list_(pa.string())),
    pa.field("ics_techniques", pa.list_(pa.string())),
    pa.field("ics_tactics", pa.list_(pa.string())),
    pa.field("target", pa.string()),           # the logsource target the rule ran as
    pa.field("rule_path", pa.string()),
    pa.field("event_id", pa.uuid()),
    pa.field("event_ts", TS),                  # the event's @timestamp
    pa.field("created", TS),                   # the event's receipt time (event.created)
    pa.field("host_name", pa.string()),
    pa.field("matched_fields", pa.string()),   # JSON: Sigma field name -> value
    pa.field("wal_offset", pa.uint64()),
])


#: The bulky text columns (message, original, fields) are compressed with zstd. DuckDB's
#: own choice for them is to try dictionary and FSST compression on every segment, give up
#: on strings of a kilobyte or more (a Windows event's XML and fields) and store them
#: uncompressed; zstd takes a Windows event from ~3.7 KB to well under 1 KB on disk and
#: costs less CPU than the failed attempts. It needs storage version 1.2 or later
#: (``hot.STORAGE_VERSION``); in a store created before, DuckDB ignores the clause.


def segment_columns_sql() -> str:
    return ",\n    ".join(f'"{c.name}" {c.sql}' + (f" USING COMPRESSION {c.compression}" if c.compression else "")
                          for c in (*EVENT_COLUMNS, FIELDS_COLUMN))
