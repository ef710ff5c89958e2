-- SPEC §10: a lead taken into work after its deadline is a breach at the moment it is taken.
INSERT INTO sla_breaches
SELECT lead_id, sc_id, temperature, accept_deadline, $as_of,
       CAST(floor(epoch($as_of) - epoch(accept_deadline)) // 60 AS BIGINT)
FROM leads
WHERE lead_id = $lead_id
  AND sc_id IS NOT NULL
  AND accept_deadline < $as_of
  AND NOT EXISTS (
      SELECT 1 FROM sla_breaches b
      WHERE b.lead_id = leads.lead_id AND b.accept_deadline = leads.accept_deadline
  )
