-- The durable event pipeline (issue 6). Portable SQL: SQLite and PostgreSQL, unix-millisecond times.

-- Every accepted webhook, raw, with its dedupe key; a job for it is enqueued in the same transaction.
CREATE TABLE inbox_events (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    source          TEXT NOT NULL,          -- uis | megaplan | reconcile
    event_type      TEXT NOT NULL,          -- uis EventKind path segment, or megaplan event:model
    dedupe_key      TEXT NOT NULL,
    content_type    TEXT,
    query           TEXT,
    body            TEXT NOT NULL,
    received_at     BIGINT NOT NULL,
    status          TEXT NOT NULL,          -- queued | processing | retrying | done | failed | dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    next_attempt_at BIGINT,
    last_error      TEXT,
    decision        TEXT,                   -- JSON: the actions planned and why
    processed_at    BIGINT
);
CREATE UNIQUE INDEX inbox_events_dedupe ON inbox_events (account_id, dedupe_key);
CREATE INDEX inbox_events_status_received ON inbox_events (status, received_at);
CREATE INDEX inbox_events_received ON inbox_events (received_at);

-- Bodies we could not accept (400), kept for the event log: nothing that arrived is silently lost.
CREATE TABLE rejected_events (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    source       TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    reason       TEXT NOT NULL,
    content_type TEXT,
    query        TEXT,
    body         TEXT NOT NULL,
    received_at  BIGINT NOT NULL
);
CREATE INDEX rejected_events_received ON rejected_events (received_at);

-- Idempotency: account + action key -> the Megaplan entity it made. state: started | done.
-- "started" without "done" means an attempt may have created the entity: look it up before creating.
CREATE TABLE action_records (
    account_id  TEXT NOT NULL,
    action_key  TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    state       TEXT NOT NULL,
    megaplan_type TEXT,                 -- contentType of megaplan_id (ContractorHuman, Todo, CallInfo…)
    megaplan_id TEXT,
    started_at  BIGINT NOT NULL,
    done_at     BIGINT,
    PRIMARY KEY (account_id, action_key)
);

-- One row per (account, phone) while a worker finds or creates that phone's client: two servers
-- never create two clients for one new caller. A lease, so a crashed holder does not block forever.
CREATE TABLE phone_locks (
    account_id TEXT NOT NULL,
    phone      TEXT NOT NULL,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, phone)
);

-- What happened to each event: decision, each action (request, status, ids, timing), retries, outcome.
CREATE TABLE event_trace (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    step        TEXT NOT NULL,              -- decision | action | retry | done | failed | dead | replay
    action_key  TEXT,
    request     TEXT,
    status      TEXT,
    created_ids TEXT,
    duration_ms BIGINT,
    detail      TEXT
);
CREATE INDEX event_trace_event ON event_trace (event_id, at);
CREATE INDEX event_trace_at ON event_trace (at);
