-- Input: $placed(lead_id, sc_id, arrived_at, accept_deadline). A lead at an SC no longer waits.
UPDATE leads
SET sc_id = p.sc_id, arrived_at = p.arrived_at, accept_deadline = p.accept_deadline,
    waiting_reason = NULL, waiting_checked_at = NULL
FROM read_parquet($placed) p
WHERE leads.lead_id = p.lead_id AND leads.sc_id IS NULL
