-- SPEC §12: the one set of rows every figure of the report is counted from. One row per stay
-- of a lead at an SC (its current stay, and each stay it left by a transfer), as it stood at
-- $as_of: nothing that happened later is seen (a later take, close, transfer or recorded
-- breach leaves the stay as it was then), and no lead removed by then. Kept: the stays that arrived (SC-local) in the
-- periods of kind $kind from $since to $first_day, and the older ones still open when the
-- period $first_day began, for the backlog at its start and end.
WITH moves AS (
    SELECT t.*,
           lag(t.transferred_at) OVER (PARTITION BY t.lead_id ORDER BY t.transferred_at) AS came_at
    FROM lead_transfers t
),
first_assigned AS (
    SELECT lead_id, min(occurred_at) AS assigned_at
    FROM lead_events WHERE kind = $assigned
    GROUP BY lead_id
),
stays AS (
    SELECT l.lead_id, l.sc_id, l.arrived_at, l.accept_deadline, l.taken_at, l.closed_at,
           l.status AS final_status, NULL::TIMESTAMPTZ AS left_at, l.manager_id
    FROM leads l
    WHERE l.sc_id IS NOT NULL AND l.arrived_at IS NOT NULL
    UNION ALL
    SELECT m.lead_id, m.from_sc, coalesce(m.came_at, f.assigned_at, l.created_at), m.missed_deadline,
           NULL, NULL, NULL, m.transferred_at, NULL
    FROM moves m
    JOIN leads l USING (lead_id)
    LEFT JOIN first_assigned f USING (lead_id)
),
recorded_breaches AS (
    SELECT lead_id, accept_deadline, any_value(temperature) AS temperature
    FROM sla_breaches
    WHERE detected_at <= $as_of
    GROUP BY lead_id, accept_deadline
),
at_as_of AS (
    SELECT s.lead_id,
           s.sc_id,
           c.name AS sc_name,
           c.timezone,
           s.manager_id,
           m.name AS manager_name,
           coalesce(b.temperature, l.temperature) AS temperature,
           l.lead_type,
           l.source,
           l.product,
           s.arrived_at,
           s.accept_deadline,
           CASE WHEN s.taken_at <= $as_of THEN s.taken_at END AS taken_at,
           CASE WHEN s.closed_at <= $as_of THEN s.closed_at END AS closed_at,
           CASE WHEN s.left_at <= $as_of THEN s.left_at END AS left_at,
           CASE WHEN s.left_at <= $as_of THEN $transferred
                WHEN s.closed_at <= $as_of THEN s.final_status
                WHEN s.taken_at <= $as_of THEN $in_work
                ELSE $new END AS status,
           b.lead_id IS NOT NULL AS breached,
           CAST(date_trunc($kind, timezone(c.timezone, s.arrived_at)) AS DATE) AS period_start
    FROM stays s
    JOIN leads l USING (lead_id)
    JOIN service_centers c ON c.sc_id = s.sc_id
    LEFT JOIN managers m ON m.manager_id = s.manager_id
    LEFT JOIN recorded_breaches b ON b.lead_id = s.lead_id AND b.accept_deadline = s.accept_deadline
    WHERE s.arrived_at <= $as_of
      -- SPEC §14: a lead removed for a violation by $as_of leaves every count, all its stays
      AND s.lead_id NOT IN (SELECT lead_id FROM lead_removals WHERE removed_at <= $as_of)
)
SELECT *,
       NOT breached AND taken_at IS NOT NULL AND taken_at <= accept_deadline AS taken_in_time,
       epoch(taken_at - arrived_at) / 86400.0 AS days_to_take,
       (working_seconds_at(timezone, taken_at) - working_seconds_at(timezone, arrived_at)) / 3600.0
           AS working_hours_to_take
FROM at_as_of
WHERE period_start BETWEEN $since AND $first_day
   OR coalesce(left_at, closed_at) IS NULL
   OR coalesce(left_at, closed_at) > timezone(timezone, CAST($first_day AS TIMESTAMP))
ORDER BY period_start, sc_id, lead_id, arrived_at
