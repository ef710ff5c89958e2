-- Input: $plan(lead_id, planned_on).
UPDATE leads
SET planned_on = p.planned_on
FROM read_parquet($plan) p
WHERE leads.lead_id = p.lead_id
