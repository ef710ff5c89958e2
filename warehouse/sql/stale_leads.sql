-- SPEC §7 (§3.6): when the booking of a client x product at SC A has ended and a booking at
-- another SC B is in force, A's open leads for that client x product are stale: blocked.
-- Parameter: $as_of.
WITH ended AS (
    SELECT inn, product, sc_id, max(ends_at) AS ended_at
    FROM bookings
    WHERE ends_at <= $as_of
    GROUP BY inn, product, sc_id
),
in_force AS (
    SELECT inn, product, sc_id, kind, starts_at
    FROM bookings
    WHERE starts_at <= $as_of AND $as_of < ends_at
)
SELECT DISTINCT ON (l.lead_id)
       l.lead_id,
       l.sc_id        AS ended_sc,
       e.ended_at,
       f.sc_id        AS holder_sc,
       f.kind         AS holder_kind
FROM leads l
JOIN ended e ON e.inn = l.inn AND e.product = l.product AND e.sc_id = l.sc_id
JOIN in_force f ON f.inn = l.inn AND f.product = l.product AND f.sc_id <> l.sc_id
WHERE l.status IN ('new', 'in_work')
  AND NOT EXISTS (
      SELECT 1 FROM in_force mine
      WHERE mine.inn = l.inn AND mine.product = l.product AND mine.sc_id = l.sc_id
  )
ORDER BY l.lead_id, f.starts_at, f.sc_id
