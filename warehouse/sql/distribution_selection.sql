-- SPEC §6.2: the SC's `new` leads with their temperature and the SC-local date of their
-- deadline. Parameter: $sc.
SELECT l.lead_id,
       l.temperature,
       CAST(timezone(s.timezone, l.accept_deadline) AS DATE) AS deadline_day
FROM leads l
JOIN service_centers s ON s.sc_id = l.sc_id
WHERE l.sc_id = $sc AND l.status = 'new'
