-- SLA breaches by temperature: how many, at how many SCs, and how late at detection.
SELECT temperature,
       count(*) AS breaches,
       count(DISTINCT sc_id) AS scs,
       round(median(late_minutes) / 60, 1) AS median_hours_late,
       round(max(late_minutes) / 60, 1) AS max_hours_late
FROM sla_breaches
GROUP BY temperature
ORDER BY hotness(temperature)
