-- SPEC §8, §12: messages to SCs in the period (SC-local), as they stood at $as_of: sent by
-- then, still waiting, or given up; a message created later is not seen.
WITH seen AS (
    SELECT n.sc_id, n.kind, n.lead_count, c.timezone,
           CASE WHEN n.sent_at <= $as_of THEN $sent
                WHEN n.status = $failed THEN $failed
                ELSE $pending END AS state,
           CASE WHEN n.sent_at <= $as_of THEN n.sent_at ELSE n.created_at END AS counted_at
    FROM notifications n
    JOIN service_centers c ON c.sc_id = n.sc_id
    WHERE n.created_at <= $as_of
)
SELECT sc_id, kind,
       count(*) FILTER (state = $sent) AS sent,
       coalesce(sum(lead_count) FILTER (state = $sent), 0) AS leads_notified,
       count(*) FILTER (state = $pending) AS pending,
       count(*) FILTER (state = $failed) AS failed
FROM seen
WHERE CAST(date_trunc($kind, timezone(timezone, counted_at)) AS DATE) = $first_day
GROUP BY sc_id, kind
ORDER BY sc_id, kind
