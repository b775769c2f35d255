-- Ironwatch store schema, version 6: the effective settings of the core's last start.
-- There is no live reload, so a configuration change shows at the next start: the core
-- compares what it runs with to this record and writes a `config.change` audit entry
-- (core/config_audit.py). Secret settings are kept as a keyed fingerprint, never as values.

CREATE TABLE IF NOT EXISTS effective_settings (
    id           INTEGER PRIMARY KEY,            -- always 1
    settings     VARCHAR NOT NULL,               -- JSON: dotted setting name -> value
    recorded     TIMESTAMPTZ NOT NULL,
    recorded_by  VARCHAR NOT NULL                -- local:<user that ran serve>
);
