-- SPEC §7: a connection lead's booking follows the lead; the old SC's ends at the transfer.
-- Input: $moved(lead_id). Parameter: $as_of.
UPDATE bookings
SET ends_at = $as_of
FROM read_parquet($moved) m
WHERE bookings.lead_id = m.lead_id
  AND bookings.kind = 'lead'
  AND booking_in_force(bookings.starts_at, bookings.ends_at, $as_of)
