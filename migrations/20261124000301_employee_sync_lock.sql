-- One employee sync per account at a time across every server sharing the database (T2): a lease,
-- so a server that died mid-run does not block the account forever.
CREATE TABLE employee_sync_locks (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    run_id     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
