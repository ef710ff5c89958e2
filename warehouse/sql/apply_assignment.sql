-- Input: $placed(lead_id, sc_id, arrived_at, accept_deadline).
UPDATE leads
SET sc_id = p.sc_id, arrived_at = p.arrived_at, accept_deadline = p.accept_deadline
FROM read_parquet($placed) p
WHERE leads.lead_id = p.lead_id AND leads.sc_id IS NULL
