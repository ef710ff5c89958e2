-- SPEC §7 (§3.6): when the booking of a client x product at SC A has ended and a booking at
-- another SC B is in force, A's open leads for that client x product are stale: blocked.
-- Works on bookings first, from the bookings in force (their zone maps on starts_at/ends_at
-- skip most row groups): the ended bookings of the clients some SC holds now, then those of
-- them contested by another SC and held by none at A (a handful). Only then `leads` is read,
-- matched against that handful, instead of every open lead against every booking in force.
-- Parameter: $as_of.
WITH in_force AS MATERIALIZED (
    SELECT inn, product, sc_id, kind, starts_at
    FROM bookings
    WHERE booking_in_force(starts_at, ends_at, $as_of)
),
ended AS MATERIALIZED (
    SELECT inn, product, sc_id, max(ends_at) AS ended_at
    FROM bookings
    WHERE ends_at <= $as_of AND inn IN (SELECT inn FROM in_force)
    GROUP BY inn, product, sc_id
),
contested AS MATERIALIZED (
    SELECT e.inn, e.product, e.sc_id, e.ended_at,
           f.sc_id AS holder_sc, f.kind AS holder_kind, f.starts_at AS holder_since
    FROM ended e
    JOIN in_force f ON same_inn(f.inn, e.inn) AND f.product = e.product AND f.sc_id <> e.sc_id
    WHERE NOT EXISTS (
        SELECT 1 FROM in_force mine
        WHERE same_inn(mine.inn, e.inn) AND mine.product = e.product AND mine.sc_id = e.sc_id
    )
)
SELECT DISTINCT ON (l.lead_id)
       l.lead_id,
       l.sc_id AS ended_sc,
       c.ended_at,
       c.holder_sc,
       c.holder_kind
FROM leads l
JOIN contested c ON same_inn(c.inn, l.inn) AND c.product = l.product AND c.sc_id = l.sc_id
WHERE is_open(l.status)
ORDER BY l.lead_id, c.holder_since, c.holder_sc
