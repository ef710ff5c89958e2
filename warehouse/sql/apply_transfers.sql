-- SPEC §6 "Transfer": the lead starts afresh at the new SC. The old SC's manager and plan
-- go; a lead a sanction moves out of work is `new` again at its new SC (§9.1.4).
-- Input: $moved(lead_id, to_sc, arrived_at, accept_deadline).
UPDATE leads
SET sc_id = m.to_sc,
    arrived_at = m.arrived_at,
    accept_deadline = m.accept_deadline,
    status = 'new',
    taken_at = NULL,
    postponed_until = NULL,
    manager_id = NULL,
    planned_on = NULL
FROM read_parquet($moved) m
WHERE leads.lead_id = m.lead_id
