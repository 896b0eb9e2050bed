-- Portable SQL: runs unchanged on SQLite and PostgreSQL (text ids, BIGINT unix-millisecond times).
-- An account is one UIS client; its key appears in every webhook URL given to UIS and Megaplan.
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    webhook_key TEXT NOT NULL UNIQUE,
    time_zone   TEXT NOT NULL DEFAULT 'Europe/Moscow',
    created_at  BIGINT NOT NULL
);
