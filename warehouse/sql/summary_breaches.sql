-- SLA breaches by temperature: how many, and how late (minutes, at detection).
SELECT temperature,
       count(*) AS breaches,
       count(DISTINCT sc_id) AS service_centres,
       CAST(median(late_minutes) AS BIGINT) AS median_late_minutes,
       max(late_minutes) AS max_late_minutes
FROM sla_breaches
GROUP BY temperature
ORDER BY CASE temperature WHEN 'hot' THEN 0 WHEN 'warm' THEN 1 ELSE 2 END
