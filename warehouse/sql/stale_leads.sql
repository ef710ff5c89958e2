-- SPEC §7 (§3.6): when the booking of a client x product at SC A has ended and a booking at
-- another SC B is in force, A's open leads for that client x product are stale: blocked.
-- Starts from the bookings in force (few) rather than every ended one (most of the table).
-- Parameter: $as_of.
WITH in_force AS (
    SELECT inn, product, sc_id, kind, starts_at
    FROM bookings
    WHERE booking_in_force(starts_at, ends_at, $as_of)
),
contested AS (
    SELECT l.lead_id, l.inn, l.product, l.sc_id, f.sc_id AS holder_sc, f.kind AS holder_kind,
           f.starts_at AS holder_since
    FROM leads l
    JOIN in_force f ON same_inn(f.inn, l.inn) AND f.product = l.product AND f.sc_id <> l.sc_id
    WHERE is_open(l.status)
      AND NOT EXISTS (
          SELECT 1 FROM in_force mine
          WHERE same_inn(mine.inn, l.inn) AND mine.product = l.product AND mine.sc_id = l.sc_id
      )
),
ended AS (
    SELECT b.inn, b.product, b.sc_id, max(b.ends_at) AS ended_at
    FROM bookings b
    WHERE b.ends_at <= $as_of AND b.inn IN (SELECT inn FROM contested)
    GROUP BY b.inn, b.product, b.sc_id
)
SELECT DISTINCT ON (c.lead_id)
       c.lead_id,
       c.sc_id AS ended_sc,
       e.ended_at,
       c.holder_sc,
       c.holder_kind
FROM contested c
JOIN ended e ON same_inn(e.inn, c.inn) AND e.product = c.product AND e.sc_id = c.sc_id
ORDER BY c.lead_id, c.holder_since, c.holder_sc
