-- Ironwatch store schema, version 2: users, sessions and the audit trail.

CREATE TABLE users (
    name             VARCHAR PRIMARY KEY,
    role             VARCHAR NOT NULL,
    password_hash    VARCHAR NOT NULL,          -- argon2id, never returned by any interface
    must_change      BOOLEAN NOT NULL DEFAULT false,
    disabled         BOOLEAN NOT NULL DEFAULT false,
    created          TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by       VARCHAR,
    password_changed TIMESTAMPTZ,
    last_login       TIMESTAMPTZ
);

CREATE TABLE sessions (
    id_hash     VARCHAR PRIMARY KEY,            -- SHA-256 of the session cookie value
    user_name   VARCHAR NOT NULL,
    csrf        VARCHAR NOT NULL,
    created     TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    address     VARCHAR
);

-- Append-only, hash-chained record of what was done through Ironwatch (store/audit.py).
CREATE TABLE audit_log (
    seq      BIGINT PRIMARY KEY,
    ts       TIMESTAMPTZ NOT NULL,
    actor    VARCHAR NOT NULL,
    source   VARCHAR NOT NULL,
    action   VARCHAR NOT NULL,
    target   VARCHAR,
    outcome  VARCHAR NOT NULL,
    details  JSON,
    link     VARCHAR NOT NULL
);

CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY,              -- always 1
    seq        BIGINT NOT NULL,
    link       VARCHAR NOT NULL,
    signature  VARCHAR NOT NULL,
    signed_at  TIMESTAMPTZ NOT NULL
);
