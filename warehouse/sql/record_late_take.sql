-- SPEC §10: a lead taken into work after its deadline is a breach at the moment it left `new`
-- (taken, postponed, closed or refused), unless one is recorded already. Reads
-- `activity_state` (`lead_id`, `left_new_at`): an activity apply's, or the one lead a
-- principal moves (`repository.record_late_take`).
INSERT INTO sla_breaches
SELECT l.lead_id, l.sc_id, l.temperature, l.accept_deadline, s.left_new_at,
       CAST(floor(epoch(s.left_new_at) - epoch(l.accept_deadline)) // 60 AS BIGINT)
FROM activity_state s
JOIN leads l USING (lead_id)
WHERE s.left_new_at IS NOT NULL
  AND l.sc_id IS NOT NULL
  AND l.accept_deadline < s.left_new_at
  AND NOT EXISTS (
      SELECT 1 FROM sla_breaches b
      WHERE b.lead_id = l.lead_id AND b.accept_deadline = l.accept_deadline
  )
