-- SPEC §7: a connection lead's booking follows the lead; the old SC's ends at the transfer.
-- Input: $moved(lead_id). Parameter: $as_of.
-- Deleted and appended anew rather than updated in place, for the reason apply_transfers.sql
-- gives: the bookings of a few leads lie in most of the table's row groups.
CREATE OR REPLACE TEMP TABLE ended_bookings AS
SELECT b.rowid AS booking_row, b.* REPLACE (CAST($as_of AS TIMESTAMPTZ) AS ends_at)
FROM bookings b
WHERE b.lead_id IN (SELECT lead_id FROM read_parquet($moved))
  AND b.kind = 'lead'
  AND booking_in_force(b.starts_at, b.ends_at, $as_of);

DELETE FROM bookings WHERE rowid IN (SELECT booking_row FROM ended_bookings);

INSERT INTO bookings BY NAME SELECT * EXCLUDE (booking_row) FROM ended_bookings;

DROP TABLE ended_bookings;
