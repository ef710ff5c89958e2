-- The bookings of a lead's client x product (SPEC §7), at every SC, oldest first: what held
-- or holds the client for an SC, and so explains the assignment rules 1-2 of SPEC §6.
SELECT b.kind, b.sc_id, b.starts_at, b.ends_at, b.lead_id, b.invoice_id,
       booking_in_force(b.starts_at, b.ends_at, $as_of) AS in_force
FROM bookings b
JOIN leads l ON same_client(b.inn, b.kpp, l.inn, l.kpp) AND b.product = l.product
WHERE l.lead_id = $lead_id
ORDER BY b.starts_at, b.sc_id
