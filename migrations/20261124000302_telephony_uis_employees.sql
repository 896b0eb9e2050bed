-- UIS's employees as the last telephony-settings sync (T1) saw them: UIS employee → extension, the
-- first link of the pop-up card's chain (the rules' `Known.staff.extension_of`), even for employees no
-- Megaplan user matches.
CREATE TABLE telephony_uis_employees (
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    uis_employee_id BIGINT NOT NULL,
    full_name       TEXT,
    email           TEXT,
    extension       TEXT,
    phone           TEXT,
    synced_at       BIGINT NOT NULL,
    PRIMARY KEY (account_id, uis_employee_id)
);
