-- SPEC §10: a lead still `new` after its deadline is a breach, recorded once per lead and
-- deadline, with how late it was at detection (wall-clock minutes). Reads `overdue`;
-- returns the SC and temperature of each breach it recorded.
INSERT INTO sla_breaches
SELECT o.lead_id,
       o.sc_id,
       o.temperature,
       o.accept_deadline,
       $as_of AS detected_at,
       CAST(floor(epoch($as_of) - epoch(o.accept_deadline)) // 60 AS BIGINT) AS late_minutes
FROM overdue o
WHERE NOT EXISTS (
    SELECT 1 FROM sla_breaches b
    WHERE b.lead_id = o.lead_id AND b.accept_deadline = o.accept_deadline
)
RETURNING sc_id, temperature
