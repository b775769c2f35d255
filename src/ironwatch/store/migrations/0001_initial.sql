-- Ironwatch store schema, version 1.
-- Event rows live in day segments (ev_YYYYMMDD, created by the store from store/schema.py);
-- this file creates the catalog and bookkeeping tables.

CREATE TABLE segments (
    name        VARCHAR PRIMARY KEY,   -- ev_YYYYMMDD
    day         DATE NOT NULL,         -- receipt day (UTC) of the rows it holds
    min_ts      TIMESTAMPTZ,           -- smallest @timestamp in it
    max_ts      TIMESTAMPTZ,
    rows        BIGINT NOT NULL DEFAULT 0,
    sealed      BOOLEAN NOT NULL DEFAULT false,
    created     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Exactly-once storage: a WAL batch is stored when its range is at or below the watermark,
-- or listed in wal_done. Both change in the same transaction as the rows they cover.
CREATE TABLE wal_progress (
    id          INTEGER PRIMARY KEY,   -- always 1
    watermark   UBIGINT NOT NULL       -- every batch ending at or before this is stored
);
INSERT INTO wal_progress VALUES (1, 0);

CREATE TABLE wal_done (
    start_offset UBIGINT PRIMARY KEY,
    end_offset   UBIGINT NOT NULL
);

CREATE TABLE dead_letters (
    event_id       UUID PRIMARY KEY,
    received       TIMESTAMPTZ NOT NULL,
    listener       VARCHAR,
    source_address VARCHAR,
    format         VARCHAR,
    reason         VARCHAR NOT NULL,
    original       BLOB NOT NULL,
    hash           VARCHAR NOT NULL,
    wal_offset     UBIGINT,
    replayed_at    TIMESTAMPTZ,          -- set when a replay parsed it into an event
    replay_attempts INTEGER NOT NULL DEFAULT 0,
    last_replay_reason VARCHAR
);

-- API tokens (hashed at rest). The ingest token created at first start lives here.
CREATE TABLE api_tokens (
    id          VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,
    token_hash  VARCHAR NOT NULL UNIQUE,
    created     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires     TIMESTAMPTZ,
    last_used   TIMESTAMPTZ,
    revoked     TIMESTAMPTZ,
    created_by  VARCHAR
);
