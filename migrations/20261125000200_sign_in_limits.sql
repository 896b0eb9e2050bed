-- Sign-in attempts per client address and login, shared by every server of a deployment
-- (`auth::limit`): one row per key with its theoretical arrival time (GCRA). The key is a SHA-256
-- of address, account and login, so the table holds no logins. A row whose time has passed counts
-- as none; such rows are swept whenever an attempt is counted.
CREATE TABLE sign_in_limits (
    key_hash  TEXT PRIMARY KEY,
    tat       BIGINT NOT NULL
);
CREATE INDEX sign_in_limits_tat ON sign_in_limits (tat);
