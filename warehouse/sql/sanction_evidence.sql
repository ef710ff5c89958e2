-- SPEC §11: per SC, the leads due in a period and the breaches among them. A lead is due at
-- an SC when its deadline there fell in the period (the SC's local calendar, $bounds) before
-- $as_of: its current deadline, or one it missed before a transfer (kept in sla_breaches).
-- A lead removed for a violation (SPEC §14) leaves the leads due and the breaches: it counts
-- among the SC's removals of the period instead, by clause.
WITH b AS (SELECT sc_id, starts_at, ends_at FROM read_parquet($bounds)),
removed_leads AS (SELECT lead_id FROM leads WHERE is_removed(status)),
deadlines AS (
    SELECT lead_id, sc_id, accept_deadline FROM leads WHERE sc_id IS NOT NULL AND NOT is_removed(status)
    UNION
    SELECT lead_id, sc_id, accept_deadline FROM sla_breaches
    WHERE lead_id NOT IN (SELECT lead_id FROM removed_leads)
),
due AS (
    SELECT d.sc_id, count(*) AS due
    FROM deadlines d JOIN b ON b.sc_id = d.sc_id
    WHERE d.accept_deadline >= b.starts_at AND d.accept_deadline < least(b.ends_at, $as_of)
    GROUP BY d.sc_id
),
breached AS (
    SELECT s.sc_id,
           count(*) AS breached,
           count(*) FILTER (s.temperature = 'hot') AS hot,
           count(*) FILTER (s.temperature = 'warm') AS warm,
           count(*) FILTER (s.temperature = 'cold') AS cold,
           max(s.late_minutes) AS worst_late_minutes
    FROM sla_breaches s JOIN b ON b.sc_id = s.sc_id
    WHERE s.accept_deadline >= b.starts_at AND s.accept_deadline < least(b.ends_at, $as_of)
      AND s.detected_at <= $as_of
      AND s.lead_id NOT IN (SELECT lead_id FROM removed_leads)
    GROUP BY s.sc_id
),
by_clause AS (
    SELECT r.sc_id, r.violation, count(*) AS n
    FROM lead_removals r JOIN b ON b.sc_id = r.sc_id
    WHERE r.removed_at >= b.starts_at AND r.removed_at < b.ends_at AND r.removed_at <= $as_of
    GROUP BY r.sc_id, r.violation
),
removals AS (
    SELECT sc_id,
           sum(n)::BIGINT AS removed,
           string_agg('§' || violation || ': ' || n, ', ' ORDER BY violation) AS violations
    FROM by_clause
    GROUP BY sc_id
),
excluded AS (
    SELECT sc_id, max(ends_at) AS excluded_until, bool_or(ends_at IS NULL) AS excluded_for_good
    FROM sanctions
    WHERE kind = 'exclude' AND sanction_in_force(starts_at, ends_at, lifted_at, $as_of)
    GROUP BY sc_id
)
SELECT c.sc_id,
       c.name,
       coalesce(due.due, 0) AS due,
       coalesce(br.breached, 0) AS breached,
       coalesce(br.hot, 0) AS hot,
       coalesce(br.warm, 0) AS warm,
       coalesce(br.cold, 0) AS cold,
       CASE WHEN coalesce(due.due, 0) = 0 THEN 0.0 ELSE coalesce(br.breached, 0) / due.due END AS breach_rate,
       br.worst_late_minutes,
       coalesce(r.removed, 0) AS removed,
       r.violations,
       x.excluded_until,
       coalesce(x.excluded_for_good, false) AS excluded_for_good
FROM service_centers c
LEFT JOIN due ON due.sc_id = c.sc_id
LEFT JOIN breached br ON br.sc_id = c.sc_id
LEFT JOIN excluded x ON x.sc_id = c.sc_id
LEFT JOIN removals r ON r.sc_id = c.sc_id
ORDER BY c.sc_id
