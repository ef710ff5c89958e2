-- Blocked leads with the bookings that blocked them (SPEC §7).
SELECT l.lead_id,
       l.product,
       json_extract_string(e.detail, '$.ended_sc') AS sc_id,
       json_extract_string(e.detail, '$.holder_sc') AS now_booked_at,
       json_extract_string(e.detail, '$.holder_kind') AS by
FROM leads l
JOIN lead_events e ON e.lead_id = l.lead_id AND e.kind = 'blocked'
WHERE l.status = 'blocked'
ORDER BY l.lead_id
