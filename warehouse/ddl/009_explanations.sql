-- Schema version 9: why a lead waits without an SC (SPEC §6 rule 4, §15). Set when the lead
-- is placed (ingest) and again by every SLA sweep that still finds no SC for it; NULL once
-- the lead has an SC. `waiting_checked_at` is the instant the reason was decided.
-- (Why a lead is at its SC is kept in its `assigned` and `transferred` events.)
ALTER TABLE leads ADD COLUMN waiting_reason VARCHAR;
ALTER TABLE leads ADD COLUMN waiting_checked_at TIMESTAMPTZ;
