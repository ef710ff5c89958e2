-- SPEC §6 "Transfer", §9.1.1: leads still `new` past their deadline that the policy moves to
-- another SC. Not moved: temperatures outside $temperatures (cold never, §6), a client booked
-- at the lead's SC by invoice or paid period, a client a sanction gave to that SC (§9.1.4).
-- `barred`: the lead's SC and every SC it was taken from for a breach (no ping-pong).
-- Reads `overdue` (overdue_leads.sql), and of `leads` only the rows it names.
WITH movable AS MATERIALIZED (
    SELECT l.lead_id, l.inn, l.kpp, l.product, l.region, l.lead_type, l.temperature, l.sc_id,
           l.accept_deadline
    FROM overdue o
    JOIN leads l ON l.rowid = o.row_id
    WHERE list_contains($temperatures, o.temperature)
),
pinned AS (
    SELECT b.inn, b.kpp, b.product, b.sc_id
    FROM bookings b
    WHERE pinning_booking(b.kind) AND booking_in_force(b.starts_at, b.ends_at, $as_of)
      AND b.inn IN (SELECT inn FROM movable)
),
held AS (
    SELECT inn, product, sc_id
    FROM sanctions
    WHERE kind = 'transfer_client' AND sanction_in_force(starts_at, ends_at, lifted_at, $as_of)
),
candidates AS (
    SELECT l.lead_id, l.inn, l.kpp, l.product, l.region, l.lead_type, l.temperature,
           l.sc_id AS from_sc, l.accept_deadline
    FROM movable l
    WHERE NOT EXISTS (
          SELECT 1 FROM pinned p
          WHERE same_client(p.inn, p.kpp, l.inn, l.kpp)
            AND p.product = l.product AND p.sc_id = l.sc_id
      )
      AND NOT EXISTS (
          SELECT 1 FROM held h WHERE same_inn(h.inn, l.inn) AND h.product = l.product AND h.sc_id = l.sc_id
      )
),
left_for_breach AS (
    SELECT t.lead_id, list(DISTINCT t.from_sc) AS gone
    FROM lead_transfers t
    WHERE t.reason = 'breach' AND t.lead_id IN (SELECT lead_id FROM candidates)
    GROUP BY t.lead_id
)
SELECT o.*,
       list_sort(list_distinct(list_concat([o.from_sc], coalesce(g.gone, [])))) AS barred
FROM candidates o
LEFT JOIN left_for_breach g ON g.lead_id = o.lead_id
ORDER BY o.lead_id
