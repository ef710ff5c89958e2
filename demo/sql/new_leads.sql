-- The leads waiting at an SC for it to take them: the SC work picks from these.
SELECT lead_id, temperature, lead_type, accept_deadline
FROM leads
WHERE status = 'new' AND sc_id IS NOT NULL
ORDER BY lead_id
