-- SPEC §12: the stays of the period that were taken into work, for the time to take.
SELECT lead_id, sc_id, timezone, temperature, arrived_at, taken_at, hours_to_take
FROM metric_stay_periods
WHERE period_kind = $kind AND period_start = $first_day AND taken_at IS NOT NULL
ORDER BY sc_id, lead_id
