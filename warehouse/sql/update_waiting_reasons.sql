-- Input: $waiting(lead_id, waiting_reason): leads a sweep still found no SC for, and why,
-- decided at $as_of (SPEC §15).
UPDATE leads
SET waiting_reason = w.waiting_reason, waiting_checked_at = $as_of
FROM read_parquet($waiting) w
WHERE leads.lead_id = w.lead_id AND leads.sc_id IS NULL
