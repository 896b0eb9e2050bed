-- Events of one call are decided in the order they arrived. The call is a column of the inbox (it was
-- found by searching the stored body for the id's digits, which also matched phone numbers). The index
-- holds only events still waiting or running, so it stays small and cheap to keep up at ingress.
ALTER TABLE inbox_events ADD COLUMN call_session_id BIGINT;
CREATE INDEX inbox_events_open_call ON inbox_events (account_id, call_session_id, received_at)
    WHERE status IN ('queued', 'processing');

-- Each change of a call's facts bumps its version, so an event that read the facts stores its own
-- only when nobody changed them since (the read and the taking of the call are one statement).
ALTER TABLE call_facts ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
