-- Schema version 7: the views and macros of versions 5 and 6 call the rule macros that
-- `warehouse/rules.py` renders from `schemas/` (`is_open`, `workday_start_seconds`,
-- `workday_seconds`), instead of their own copies of the open statuses and the working day.
-- Same columns, same figures.
CREATE OR REPLACE MACRO working_seconds_at(zone, instant) AS (
    SELECT w.cum_start + CASE WHEN w.is_working THEN
               least(greatest(epoch(timezone(zone, instant) - date_trunc('day', timezone(zone, instant)))
                              - workday_start_seconds(), 0), workday_seconds())
           ELSE 0 END
    FROM working_calendar w
    WHERE w.day = CAST(timezone(zone, instant) AS DATE)
);

CREATE OR REPLACE VIEW metric_conversion AS
WITH current_stays AS (SELECT * FROM metric_stay_periods WHERE NOT transferred_away),
by_dimension AS (
    SELECT *, 'lead_type' AS dimension, lead_type AS value FROM current_stays
    UNION ALL
    SELECT *, 'source', source FROM current_stays
    UNION ALL
    SELECT *, 'product', product FROM current_stays
)
SELECT sc_id,
       temperature,
       period_kind,
       period_start,
       dimension,
       value,
       count(*) AS arrived,
       count(*) FILTER (is_open(status)) AS open,
       count(*) FILTER (status = 'completed') AS completed,
       count(*) FILTER (status = 'refused') AS refused,
       count(*) FILTER (status = 'blocked') AS blocked,
       round(100.0 * count(*) FILTER (status = 'completed')
             / nullif(count(*) FILTER (status IN ('completed', 'refused', 'blocked')), 0), 1) AS conversion_pct
FROM by_dimension
GROUP BY ALL;

CREATE OR REPLACE MACRO metric_backlog_at(as_of) AS TABLE
WITH aged AS (
    SELECT l.sc_id, l.temperature, l.status,
           epoch(as_of - l.arrived_at) / 86400.0 AS age_days,
           l.status = 'new' AND l.accept_deadline < as_of AS overdue
    FROM leads l
    WHERE is_open(l.status) AND l.sc_id IS NOT NULL AND l.arrived_at <= as_of
)
SELECT sc_id,
       temperature,
       status,
       CASE WHEN age_days < 1 THEN '0-1d'
            WHEN age_days < 3 THEN '1-3d'
            WHEN age_days < 7 THEN '3-7d'
            WHEN age_days < 30 THEN '7-30d'
            ELSE '30d+' END AS age_band,
       CASE WHEN age_days < 1 THEN 1 WHEN age_days < 3 THEN 2 WHEN age_days < 7 THEN 3
            WHEN age_days < 30 THEN 4 ELSE 5 END AS age_band_order,
       count(*) AS leads,
       count(*) FILTER (overdue) AS overdue
FROM aged
GROUP BY ALL;
