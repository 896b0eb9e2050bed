-- Every read of the inbox by time is one account's (the event log, its health): by account, then
-- time, so a busy account's log is read newest first from the index instead of sorted whole, and a
-- quiet account's never walks the busy one's events. The source rides along so the health's "last
-- event per source" skips other sources' events in the index, without reading their rows. One
-- index for the other: no write more on the way in.
DROP INDEX inbox_events_received;
CREATE INDEX inbox_events_account_received ON inbox_events (account_id, received_at, source);
