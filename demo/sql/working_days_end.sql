-- The last of the $days working days from $first on, by the stored production calendar: the
-- distribution's period always holds working days, even across the New Year holidays. When
-- the calendar ends sooner, $days calendar days (which `distribute` then checks).
SELECT coalesce(max(day), CAST($first AS DATE) + ($days - 1))
FROM (
    SELECT day FROM working_calendar WHERE day >= $first AND is_working ORDER BY day LIMIT $days
)
