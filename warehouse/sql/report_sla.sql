-- SPEC §12: compliance per SC and temperature for the periods of one kind from $since to $first_day.
SELECT * FROM metric_sla
WHERE period_kind = $kind AND period_start BETWEEN $since AND $first_day
ORDER BY period_start, sc_id, temperature
