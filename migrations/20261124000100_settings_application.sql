-- The settings application: admins, sessions, Megaplan credentials, UIS access, section settings.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT unix-millisecond times, BIGINT 0/1 flags.

-- Who may sign in to an account's settings page; the password is an argon2 PHC string.
CREATE TABLE admin_users (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    login         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (account_id, login)
);

-- A signed-in browser: only the SHA-256 of the cookie's token is kept, so a database leak signs nobody in.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    user_id     TEXT NOT NULL REFERENCES admin_users (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Named Megaplan credential sets (feature A1); password and token are sealed with the server's key.
CREATE TABLE megaplan_credentials (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    name          TEXT NOT NULL,
    login         TEXT NOT NULL,
    domain        TEXT NOT NULL,
    password_enc  TEXT NOT NULL,
    token_enc     TEXT,
    -- 'working' after a successful check, 'broken' when Megaplan refused it later (feature A2).
    status        TEXT NOT NULL,
    checked_at    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (account_id, name)
);

-- The credential set an account uses; one row per account that has chosen one.
CREATE TABLE account_megaplan (
    account_id     TEXT PRIMARY KEY REFERENCES accounts (id),
    credential_id  TEXT NOT NULL REFERENCES megaplan_credentials (id),
    selected_at    BIGINT NOT NULL
);

-- The account's UIS access: the Data API key and the Call API login, both checked before saving.
CREATE TABLE uis_access (
    account_id             TEXT PRIMARY KEY REFERENCES accounts (id),
    data_api_key_enc       TEXT NOT NULL,
    call_api_login         TEXT NOT NULL,
    call_api_password_enc  TEXT NOT NULL,
    checked_at             BIGINT NOT NULL
);

-- The three sections of the settings page (telephony, text, deals): JSON each, with its own switch.
CREATE TABLE account_settings (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    section     TEXT NOT NULL,
    active      BIGINT NOT NULL,
    settings    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, section)
);
