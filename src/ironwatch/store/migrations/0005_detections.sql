-- Ironwatch store schema, version 5: Sigma detections and rule state.
-- Detections are written by the core in the same transaction as the events they match
-- (store/hot.py commit), so a batch redone after a crash adds none twice; their id is
-- derived from event id + rule id (pipeline/detect_stage.py), the primary key a second guard.

CREATE TABLE IF NOT EXISTS detections (
    detection_id      UUID PRIMARY KEY,
    rule_id           VARCHAR NOT NULL,
    rule_title        VARCHAR,
    level             VARCHAR,                  -- after any level override
    status            VARCHAR,
    tags              VARCHAR[],
    attack_techniques VARCHAR[],                -- ATT&CK ids from the rule's tags (T1059.001)
    attack_tactics    VARCHAR[],
    ics_techniques    VARCHAR[],                -- ATT&CK for ICS (T0xxx)
    ics_tactics       VARCHAR[],
    target            VARCHAR,                  -- the logsource target the rule ran as
    rule_path         VARCHAR,
    event_id          UUID NOT NULL,
    event_ts          TIMESTAMPTZ,              -- the event's @timestamp
    created           TIMESTAMPTZ,              -- the event's receipt time
    host_name         VARCHAR,
    matched_fields    VARCHAR,                  -- JSON: Sigma field name -> value
    wal_offset        UBIGINT,
    stored            TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What an analyst or admin decided about a rule (ironwatch rules enable|disable|level).
-- Rules without a row run as their file says.
CREATE TABLE IF NOT EXISTS rule_state (
    rule_id         VARCHAR PRIMARY KEY,
    enabled         BOOLEAN NOT NULL DEFAULT true,
    level_override  VARCHAR,
    path            VARCHAR,                    -- the rule's file when the state was set
    changed_by      VARCHAR NOT NULL,
    changed_at      TIMESTAMPTZ NOT NULL
);
