-- What the telephony planner knows of one UIS call across its notifications (issue 7): the facts
-- later events lack (virtual number, contact phone, direction, parameters, external_id), who talked
-- first and last, whether a call card exists and whether «Завершение звонка» was processed — the
-- rules' `Known` — and which event holds the call while it is planned and executed (one event of a
-- call at a time, so a ringing leg and the call's end never race for the card).
CREATE TABLE call_facts (
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    call_session_id BIGINT NOT NULL,
    virtual_number  TEXT,
    contact_phone   TEXT,
    direction       TEXT,
    external_id     TEXT,
    params          TEXT,
    first_talked    BIGINT,
    last_talked     BIGINT,
    card_shown      BIGINT NOT NULL DEFAULT 0,
    finished        BIGINT NOT NULL DEFAULT 0,
    created_client  BIGINT NOT NULL DEFAULT 0,
    busy_event      TEXT,
    busy_until      BIGINT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (account_id, call_session_id)
);
