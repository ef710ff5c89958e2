-- SPEC §15: open leads still $new at an SC, with a deadline, by the time left to it at $as_of:
-- working minutes for the temperatures whose term runs in working time ($working_time, SPEC
-- §10: the SC's clock on the stored production calendar), calendar minutes for the others.
-- Overdue leads (deadline passed) first, then by time left. $sc narrows to one SC (NULL: all);
-- $within_minutes to the leads with at most that much time left, overdue ones included.
WITH due AS (
    SELECT l.lead_id, l.sc_id, c.name AS sc_name, c.timezone, l.temperature, l.product,
           l.lead_type, l.manager_id, m.name AS manager_name, l.arrived_at, l.accept_deadline,
           list_contains($working_time, l.temperature) AS working_time,
           l.accept_deadline < $as_of AS overdue,
           CAST(floor(CASE WHEN list_contains($working_time, l.temperature)
                           THEN working_seconds_at(c.timezone, l.accept_deadline)
                                - working_seconds_at(c.timezone, $as_of)
                           ELSE epoch(l.accept_deadline) - epoch($as_of) END / 60) AS BIGINT) AS minutes_left
    FROM leads l
    JOIN service_centers c ON c.sc_id = l.sc_id
    LEFT JOIN managers m ON m.manager_id = l.manager_id
    WHERE l.status = $new AND l.accept_deadline IS NOT NULL
      AND ($sc IS NULL OR l.sc_id = $sc)
)
SELECT *
FROM due
WHERE $within_minutes IS NULL OR minutes_left <= $within_minutes
ORDER BY overdue DESC, minutes_left, accept_deadline, lead_id
