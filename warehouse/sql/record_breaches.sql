-- SPEC §10: a lead still `new` after its deadline is a breach, recorded once per lead and
-- deadline, with how late it was at detection (wall-clock minutes). Reads `overdue`; the
-- breaches it records stay in `new_breaches` for the sweep's outcome (a lake's INSERT has
-- no RETURNING).
CREATE OR REPLACE TEMP TABLE new_breaches AS
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
);

INSERT INTO sla_breaches SELECT * FROM new_breaches;
