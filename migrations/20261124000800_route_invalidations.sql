-- Routing answers (T10) are cached in each server's memory. When a Megaplan client event or a staff
-- sync changes who a caller's manager is, the server that saw it writes a row here and every server
-- forgets those answers within a second (`telephony::routing::follow_invalidations`).
CREATE TABLE route_invalidations (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    phone       TEXT,               -- phone key; NULL: every answer of the account (staff changed)
    created_at  BIGINT NOT NULL
);
CREATE INDEX route_invalidations_created ON route_invalidations (created_at);
