-- Leads still `new` whose working-time deadline falls, on their SC's clock, in a year whose
-- production calendar is not confirmed (calendar_years): computed on plain weekdays, so it
-- may be wrong. $temperatures are those with a working-time term; $feed_id narrows to one
-- feed's leads (NULL: every lead). $unconfirmed_from, a UTC instant before the first
-- unconfirmed year begins in any zone, lets DuckDB skip every row group whose deadlines all
-- come earlier (nearly all of them: deadlines lie days ahead, unconfirmed years years ahead).
SELECT count(*)
FROM leads l
JOIN service_centers c ON c.sc_id = l.sc_id
JOIN calendar_years y ON y.year = year(timezone(c.timezone, l.accept_deadline))
WHERE NOT y.confirmed
  AND l.accept_deadline >= $unconfirmed_from
  AND l.status = $new
  AND list_contains($temperatures, l.temperature)
  AND ($feed_id IS NULL OR l.feed_id = $feed_id)
