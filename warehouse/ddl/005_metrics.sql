-- Schema version 5: analytics (SPEC §12). Views only: nothing is stored twice, every figure
-- is recomputed from the tables when queried. Periods are SC-local calendar days: each row
-- carries `period_kind` (week | month | quarter) and `period_start`, the local date the ISO
-- week, month or quarter begins. The README's "Analytics" section documents every column.

-- One row per stay of a lead at an SC: its current stay (from `leads`) and every stay it
-- left by a transfer (from `lead_transfers`). The stay is the unit of SLA accounting: a
-- deadline missed before a transfer stays on the record of the SC that missed it.
CREATE VIEW metric_stays AS
WITH moves AS (
    SELECT t.*,
           lag(t.transferred_at) OVER (PARTITION BY t.lead_id ORDER BY t.transferred_at) AS came_at
    FROM lead_transfers t
),
first_assigned AS (
    SELECT lead_id, min(occurred_at) AS assigned_at
    FROM lead_events WHERE kind = 'assigned'
    GROUP BY lead_id
),
stays AS (
    SELECT l.lead_id, l.sc_id, l.arrived_at, l.accept_deadline, l.taken_at,
           NULL::TIMESTAMPTZ AS left_at, l.status, false AS transferred_away
    FROM leads l
    WHERE l.sc_id IS NOT NULL AND l.arrived_at IS NOT NULL
    UNION ALL
    SELECT m.lead_id, m.from_sc, coalesce(m.came_at, f.assigned_at, l.created_at), m.missed_deadline,
           NULL::TIMESTAMPTZ, m.transferred_at, 'transferred', true
    FROM moves m
    JOIN leads l USING (lead_id)
    LEFT JOIN first_assigned f USING (lead_id)
)
SELECT s.lead_id,
       s.sc_id,
       c.timezone,
       coalesce(b.temperature, l.temperature) AS temperature,
       l.lead_type,
       l.source,
       l.product,
       s.arrived_at,
       s.accept_deadline,
       s.taken_at,
       s.left_at,
       s.status,
       s.transferred_away,
       b.lead_id IS NOT NULL AS breached,
       b.lead_id IS NULL AND s.taken_at IS NOT NULL AND s.taken_at <= s.accept_deadline AS taken_in_time,
       timezone(c.timezone, s.arrived_at) AS arrived_local,
       epoch(s.taken_at - s.arrived_at) / 3600.0 AS hours_to_take
FROM stays s
JOIN leads l USING (lead_id)
JOIN service_centers c ON c.sc_id = s.sc_id
LEFT JOIN (
    SELECT lead_id, accept_deadline, any_value(temperature) AS temperature
    FROM sla_breaches GROUP BY lead_id, accept_deadline
) b ON b.lead_id = s.lead_id AND b.accept_deadline = s.accept_deadline;

-- Each stay once per period kind, keyed by the period of its arrival at the SC (local).
CREATE VIEW metric_stay_periods AS
SELECT s.*, k.period_kind, CAST(date_trunc(k.period_kind, s.arrived_local) AS DATE) AS period_start
FROM metric_stays s
CROSS JOIN (VALUES ('week'), ('month'), ('quarter')) k(period_kind);

-- SPEC §12: leads arrived, taken in time, breached, compliance, calendar hours to take.
-- compliance_pct = taken_in_time / (taken_in_time + breached); stays still undecided
-- (new before their deadline, or closed or transferred without a breach) are left out.
CREATE VIEW metric_sla AS
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
       round(quantile_cont(p.hours_to_take, 0.9), 2) AS hours_to_take_p90
FROM metric_stay_periods p
JOIN service_centers c ON c.sc_id = p.sc_id
GROUP BY ALL;

-- SPEC §12 conversion: the outcome of leads by type, source and product, at their current SC,
-- by the period they arrived there. conversion_pct = completed / (completed + refused + blocked).
CREATE VIEW metric_conversion AS
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
       count(*) FILTER (status IN ('new', 'in_work')) AS open,
       count(*) FILTER (status = 'completed') AS completed,
       count(*) FILTER (status = 'refused') AS refused,
       count(*) FILTER (status = 'blocked') AS blocked,
       round(100.0 * count(*) FILTER (status = 'completed')
             / nullif(count(*) FILTER (status IN ('completed', 'refused', 'blocked')), 0), 1) AS conversion_pct
FROM by_dimension
GROUP BY ALL;

-- SPEC §12 backlog: open leads (new, in_work) by age since arrival at their SC, at an instant.
-- A table macro so that the report asks it at its --as-of; `metric_backlog` asks it now.
CREATE MACRO metric_backlog_at(as_of) AS TABLE
WITH aged AS (
    SELECT l.sc_id, l.temperature, l.status,
           epoch(as_of - l.arrived_at) / 86400.0 AS age_days,
           l.status = 'new' AND l.accept_deadline < as_of AS overdue
    FROM leads l
    WHERE l.status IN ('new', 'in_work') AND l.sc_id IS NOT NULL AND l.arrived_at <= as_of
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

CREATE VIEW metric_backlog AS SELECT * FROM metric_backlog_at(current_timestamp);

-- SPEC §8, §12: messages to SCs, by the SC-local period they were sent in (created in, for
-- those not sent yet). leads_notified counts the leads the sent messages listed.
CREATE VIEW metric_notifications AS
SELECT n.sc_id,
       n.kind,
       k.period_kind,
       CAST(date_trunc(k.period_kind, timezone(c.timezone, coalesce(n.sent_at, n.created_at))) AS DATE)
           AS period_start,
       count(*) FILTER (n.status = 'sent') AS sent,
       coalesce(sum(n.lead_count) FILTER (n.status = 'sent'), 0) AS leads_notified,
       count(*) FILTER (n.status = 'pending') AS pending,
       count(*) FILTER (n.status = 'failed') AS failed
FROM notifications n
JOIN service_centers c ON c.sc_id = n.sc_id
CROSS JOIN (VALUES ('week'), ('month'), ('quarter')) k(period_kind)
GROUP BY ALL;
