-- SPEC §10: a lead still `new` after its deadline is a breach, recorded once per lead and
-- deadline, with how late it was at detection (wall-clock minutes).
INSERT INTO sla_breaches
SELECT l.lead_id,
       l.sc_id,
       l.temperature,
       l.accept_deadline,
       $as_of AS detected_at,
       CAST(floor(epoch($as_of) - epoch(l.accept_deadline)) // 60 AS BIGINT) AS late_minutes
FROM leads l
WHERE l.status = 'new'
  AND l.sc_id IS NOT NULL
  AND l.accept_deadline < $as_of
  AND list_contains($temperatures, l.temperature)
  AND NOT EXISTS (
      SELECT 1 FROM sla_breaches b
      WHERE b.lead_id = l.lead_id AND b.accept_deadline = l.accept_deadline
  )
