-- Why a whole employee sync run stopped, as a code the settings page words in the admin's language
-- (`app::api::ErrorCode`'s name) and its detail (Megaplan's or UIS's own words); `error` keeps the
-- English wording for the JSON API and the logs.
ALTER TABLE employee_sync_runs ADD COLUMN error_code TEXT;
ALTER TABLE employee_sync_runs ADD COLUMN error_detail TEXT;
