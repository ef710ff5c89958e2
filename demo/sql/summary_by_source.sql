-- Leads by source and temperature.
SELECT source,
       count(*) FILTER (WHERE temperature = 'hot')  AS hot,
       count(*) FILTER (WHERE temperature = 'warm') AS warm,
       count(*) FILTER (WHERE temperature = 'cold') AS cold,
       count(*) AS leads
FROM leads
GROUP BY source
ORDER BY leads DESC, source
