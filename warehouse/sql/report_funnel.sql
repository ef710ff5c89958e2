-- SPEC §12: leads that arrived at their current SC in the period, and how far they got.
SELECT temperature,
       count(*) AS arrived,
       count(taken_at) AS taken,
       count(*) FILTER (status = 'completed') AS completed,
       count(*) FILTER (status = 'refused') AS refused,
       count(*) FILTER (status = 'blocked') AS blocked,
       count(*) FILTER (is_open(status)) AS open
FROM metric_stay_periods
WHERE period_kind = $kind AND period_start = $first_day AND NOT transferred_away
GROUP BY temperature
ORDER BY temperature
