-- SPEC §14: lead $lead_id as a principal's measure reads it, in the columns placement
-- (tasks.placement.place) and moves (flows.moves.move_leads) take.
SELECT lead_id, status, lead_type, temperature, inn, kpp, product, region,
       sc_id, sc_id AS from_sc, accept_deadline
FROM leads
WHERE lead_id = $lead_id
