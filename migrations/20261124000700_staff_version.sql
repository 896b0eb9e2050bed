-- The account's staff directory (T1 telephony sync, T2 employee sync) changes rarely and is read on
-- the way to every pop-up card: each server keeps it in memory and reads it again when this
-- number, bumped in the same transaction as every change of the directory, moved on (issue 7).
ALTER TABLE accounts ADD COLUMN staff_version BIGINT NOT NULL DEFAULT 0;
