-- The call each action record belongs to: a call's records and facts are forgotten with its last
-- events (`trace::prune`, after the retention), so neither table grows forever. Records written
-- before this column name their call through their event, where it is still kept.
ALTER TABLE action_records ADD COLUMN call_session_id BIGINT;
UPDATE action_records SET call_session_id =
    (SELECT e.call_session_id FROM inbox_events e WHERE e.id = action_records.event_id);
CREATE INDEX action_records_call ON action_records (account_id, call_session_id);
