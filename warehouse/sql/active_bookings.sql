-- Bookings of the batch's clients in force at $as_of (SPEC §6 rules 1-2, §7), and the
-- clients a sanction gave to an SC (§9.1.4, any KPP of the INN), which come first.
-- Input: $batch_keys, a Parquet file of (inn, kpp, product).
WITH keys AS (
    SELECT DISTINCT inn, kpp, product FROM read_parquet($batch_keys) WHERE inn IS NOT NULL
)
SELECT b.inn, b.kpp, b.product, b.sc_id, b.kind, b.starts_at
FROM bookings b
JOIN keys k
  ON b.inn = k.inn AND b.kpp IS NOT DISTINCT FROM k.kpp AND b.product = k.product
WHERE b.starts_at <= $as_of AND $as_of < b.ends_at
UNION ALL
SELECT k.inn, k.kpp, k.product, s.sc_id, s.kind, s.starts_at
FROM sanctions s
JOIN keys k ON s.inn = k.inn AND s.product = k.product
WHERE s.kind = 'transfer_client'
  AND s.lifted_at IS NULL
  AND s.starts_at <= $as_of
  AND (s.ends_at IS NULL OR $as_of < s.ends_at)
