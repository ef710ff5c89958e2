-- Leads per service centre with its zone; unassigned leads under NULL.
SELECT l.sc_id,
       sc.timezone,
       count(*) FILTER (WHERE l.temperature = 'hot')  AS hot,
       count(*) FILTER (WHERE l.temperature = 'warm') AS warm,
       count(*) FILTER (WHERE l.temperature = 'cold') AS cold,
       count(*) FILTER (WHERE l.status = 'new')       AS new,
       count(*) FILTER (WHERE l.status = 'in_work')   AS in_work,
       count(*) AS leads
FROM leads l
LEFT JOIN service_centers sc ON sc.sc_id = l.sc_id
GROUP BY l.sc_id, sc.timezone
ORDER BY l.sc_id NULLS LAST
