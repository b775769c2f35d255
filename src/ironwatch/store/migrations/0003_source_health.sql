-- Ironwatch store schema, version 3: source health (ISO 27001 A.8.15, A.8.16, A.8.17).
-- One row per source (host + format), updated in the same transaction as the events it
-- counts, so a redone batch is never counted twice. Clock skew (event time minus receipt)
-- is kept as a histogram over fixed buckets (store/health.py SKEW_BOUNDS_S).

CREATE TABLE source_health (
    host          VARCHAR NOT NULL,             -- host.name ('' when the events name none)
    format        VARCHAR NOT NULL,             -- the parser that read them
    sender        VARCHAR NOT NULL,             -- log.source.address, else the listener
    first_seen    TIMESTAMPTZ NOT NULL,         -- receipt time of the first event
    last_seen     TIMESTAMPTZ NOT NULL,         -- receipt time of the latest event
    last_event    TIMESTAMPTZ,                  -- @timestamp of the latest event
    events        UBIGINT NOT NULL,
    skew_0 UBIGINT NOT NULL, skew_1 UBIGINT NOT NULL, skew_2 UBIGINT NOT NULL,  -- counts per skew
    skew_3 UBIGINT NOT NULL, skew_4 UBIGINT NOT NULL, skew_5 UBIGINT NOT NULL,  -- bucket, from
    skew_6 UBIGINT NOT NULL, skew_7 UBIGINT NOT NULL, skew_8 UBIGINT NOT NULL,  -- < -1h to > 1h
    last_skew_us  BIGINT,
    silent_since  TIMESTAMPTZ,                  -- set while reported silent
    PRIMARY KEY (host, format)
);

-- Parse errors are known per sender (a dead letter has no host or format yet).
CREATE TABLE sender_errors (
    sender       VARCHAR PRIMARY KEY,
    dead_letters UBIGINT NOT NULL,
    last_dead    TIMESTAMPTZ NOT NULL,
    last_reason  VARCHAR
);
