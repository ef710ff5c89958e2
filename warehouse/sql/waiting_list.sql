-- SPEC §15: open leads waiting without an SC, and why: the reason decided when the lead was
-- placed, or by the last SLA sweep that still found no SC for it (at waiting_checked_at).
SELECT lead_id, product, region, temperature, created_at, waiting_reason, waiting_checked_at
FROM leads
WHERE sc_id IS NULL AND is_open(status)
ORDER BY created_at, lead_id
