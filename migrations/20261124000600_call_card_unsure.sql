-- Whether a call card may exist in Megaplan without its idempotency record (issue 7). The event
-- whose hold created the call's row posts the card without claiming a record first (it is on the
-- way to the pop-up, and nothing earlier can have posted one): 2 while that first hold lasts;
-- 1 when another hold followed one that did not end cleanly, so a card may be there unrecorded
-- and is looked up by its provider id before one is created; 0 settled.
ALTER TABLE call_facts ADD COLUMN card_unsure BIGINT NOT NULL DEFAULT 0;
