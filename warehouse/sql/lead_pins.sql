-- SPEC §6 "Transfer", §14: the bookings by invoice or paid period in force at $as_of that hold
-- lead $lead_id's client x product at its current SC (as transfer_candidates.sql reads them):
-- while one holds, the lead does not move. The longest-lasting first.
SELECT b.kind, b.ends_at, b.invoice_id
FROM leads l
JOIN bookings b
  ON same_client(b.inn, b.kpp, l.inn, l.kpp) AND b.product = l.product AND b.sc_id = l.sc_id
WHERE l.lead_id = $lead_id
  AND pinning_booking(b.kind)
  AND booking_in_force(b.starts_at, b.ends_at, $as_of)
ORDER BY b.ends_at DESC, b.kind
