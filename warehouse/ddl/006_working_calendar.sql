-- Schema version 6: the production calendar in the warehouse, so that the metric views count
-- hot leads' time to take in working minutes (SPEC §10, §12). Filled by `pp init` from the
-- `holidays` package and calendar.csv; `cum_start` is the working seconds before the day's
-- 09:00, counted from the table's first day.
CREATE TABLE working_calendar (
    day        DATE PRIMARY KEY,
    is_working BOOLEAN NOT NULL,
    cum_start  BIGINT NOT NULL
);

-- Working seconds elapsed at an instant on an SC's clock: the day's `cum_start` plus the part
-- of 09:00-18:00 local already gone, on a working day. Differences give working time.
CREATE MACRO working_seconds_at(zone, instant) AS (
    SELECT w.cum_start + CASE WHEN w.is_working THEN
               least(greatest(epoch(timezone(zone, instant) - date_trunc('day', timezone(zone, instant)))
                              - 9 * 3600, 0), 9 * 3600)
           ELSE 0 END
    FROM working_calendar w
    WHERE w.day = CAST(timezone(zone, instant) AS DATE)
);

-- metric_stays gains `working_minutes_to_take`; the views built on it see the new column.
ALTER VIEW metric_stays RENAME TO metric_stays_v5;

CREATE VIEW metric_stays AS
SELECT s.*,
       (working_seconds_at(s.timezone, s.taken_at) - working_seconds_at(s.timezone, s.arrived_at)) / 60.0
           AS working_minutes_to_take
FROM metric_stays_v5 s;

CREATE OR REPLACE VIEW metric_sla AS
SELECT p.sc_id,
       c.name AS sc_name,
       p.temperature,
       p.period_kind,
       p.period_start,
       count(*) AS arrived,
       count(*) FILTER (p.taken_in_time) AS taken_in_time,
       count(*) FILTER (p.breached) AS breached,
       count(*) FILTER (NOT p.taken_in_time AND NOT p.breached) AS undecided,
       round(100.0 * count(*) FILTER (p.taken_in_time)
             / nullif(count(*) FILTER (p.taken_in_time OR p.breached), 0), 1) AS compliance_pct,
       count(p.taken_at) AS taken,
       round(quantile_cont(p.hours_to_take, 0.5), 2) AS hours_to_take_median,
       round(quantile_cont(p.hours_to_take, 0.9), 2) AS hours_to_take_p90,
       round(quantile_cont(p.working_minutes_to_take, 0.5), 1) AS working_minutes_to_take_median,
       round(quantile_cont(p.working_minutes_to_take, 0.9), 1) AS working_minutes_to_take_p90
FROM metric_stay_periods p
JOIN service_centers c ON c.sc_id = p.sc_id
GROUP BY ALL;
