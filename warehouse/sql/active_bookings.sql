-- Bookings of the batch's clients in force at $as_of (SPEC §6 rules 1-2, §7).
-- Input: $batch_keys, a Parquet file of (inn, kpp, product).
WITH keys AS (
    SELECT DISTINCT inn, kpp, product FROM read_parquet($batch_keys) WHERE inn IS NOT NULL
)
SELECT b.inn, b.kpp, b.product, b.sc_id, b.kind, b.starts_at
FROM bookings b
JOIN keys k
  ON b.inn = k.inn AND b.kpp IS NOT DISTINCT FROM k.kpp AND b.product = k.product
WHERE b.starts_at <= $as_of AND $as_of < b.ends_at
