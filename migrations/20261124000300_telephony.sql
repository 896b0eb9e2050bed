-- Telephony (issue 7): who is who across Megaplan and UIS, and the employee sync's runs and results.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT unix-millisecond times.

-- One row per working Megaplan employee of the account, from the telephony-settings sync (T1):
-- Megaplan user ↔ PBX extension (`callUserConfig`) ↔ UIS employee (by extension, else by e-mail).
-- The worker reads it to pick whom the pop-up card goes to; routing reads it for the manager's phone.
CREATE TABLE telephony_staff (
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    megaplan_user_id  TEXT NOT NULL,
    megaplan_name     TEXT NOT NULL,
    email             TEXT,
    -- `callUserConfig.internalNumber` (sip:… reduced to its number); NULL = not in the telephony settings.
    extension         TEXT,
    uis_employee_id   BIGINT,
    uis_employee_name TEXT,
    -- The UIS employee's first active number (E.164 digits or SIP), what routing answers.
    uis_phone         TEXT,
    -- 'extension' | 'email' | NULL (no UIS employee found)
    matched_by        TEXT,
    synced_at         BIGINT NOT NULL,
    PRIMARY KEY (account_id, megaplan_user_id)
);
CREATE INDEX telephony_staff_extension ON telephony_staff (account_id, extension);
CREATE INDEX telephony_staff_uis ON telephony_staff (account_id, uis_employee_id);

-- A run of the employee sync (T2): forced by the admin or by the 2-hour schedule.
CREATE TABLE employee_sync_runs (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    trigger_kind TEXT NOT NULL,          -- manual | schedule
    status       TEXT NOT NULL,          -- running | done | failed
    total        BIGINT NOT NULL,
    processed    BIGINT NOT NULL,
    error        TEXT,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX employee_sync_runs_account ON employee_sync_runs (account_id, started_at);

-- Per selected Megaplan employee: created / matched / failed, with the reason.
CREATE TABLE employee_sync_results (
    run_id           TEXT NOT NULL REFERENCES employee_sync_runs (id),
    megaplan_user_id TEXT NOT NULL,
    name             TEXT NOT NULL,
    email            TEXT,
    outcome          TEXT NOT NULL,      -- created | matched | failed
    uis_employee_id  BIGINT,
    reason           TEXT,
    PRIMARY KEY (run_id, megaplan_user_id)
);
