-- Bookings of the batch's clients in force at $as_of (SPEC §6 rules 1-2, §7), and the
-- clients a sanction gave to an SC (§9.1.4, any KPP of the INN), which come first.
-- Input: $batch_keys, a Parquet file of (inn, kpp, product).
WITH keys AS (
    SELECT DISTINCT inn, kpp, product FROM read_parquet($batch_keys) WHERE inn IS NOT NULL
)
SELECT b.inn, b.kpp, b.product, b.sc_id, b.kind, b.starts_at
FROM bookings b
JOIN keys k
  ON same_client(b.inn, b.kpp, k.inn, k.kpp) AND b.product = k.product
WHERE booking_in_force(b.starts_at, b.ends_at, $as_of)
UNION ALL
SELECT k.inn, k.kpp, k.product, s.sc_id, s.kind, s.starts_at
FROM sanctions s
JOIN keys k ON same_inn(s.inn, k.inn) AND s.product = k.product
WHERE s.kind = 'transfer_client'
  AND sanction_in_force(s.starts_at, s.ends_at, s.lifted_at, $as_of)
