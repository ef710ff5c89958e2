-- The leads among $leads whose recorded history goes past $as_of: their last `lead_events`
-- row or breach detection (SPEC §10, §13), latest first, with their SC's zone to show it in.
-- An action dated before it would rewrite that history. Input: $leads, a Parquet file of (lead_id).
WITH chosen AS (
    SELECT DISTINCT lead_id FROM read_parquet($leads)
),
history AS (
    SELECT lead_id, occurred_at FROM lead_events WHERE lead_id IN (SELECT lead_id FROM chosen)
    UNION ALL
    SELECT lead_id, detected_at FROM sla_breaches WHERE lead_id IN (SELECT lead_id FROM chosen)
),
latest AS (
    SELECT lead_id, max(occurred_at) AS last_event_at FROM history GROUP BY lead_id HAVING max(occurred_at) > $as_of
)
SELECT h.lead_id, h.last_event_at, coalesce(s.timezone, 'UTC') AS timezone
FROM latest h
JOIN leads l ON l.lead_id = h.lead_id
LEFT JOIN service_centers s ON s.sc_id = l.sc_id
ORDER BY h.last_event_at DESC, h.lead_id
