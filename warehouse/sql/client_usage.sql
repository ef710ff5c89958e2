-- Paid-period history of the batch's clients (SPEC §4): the end of the last period that
-- started by $as_of, and whether one is active at $as_of. Input: $batch_keys, a Parquet file of (inn, product).
WITH keys AS (
    SELECT DISTINCT inn, product FROM read_parquet($batch_keys) WHERE inn IS NOT NULL
)
SELECT k.inn,
       k.product,
       max(p.period_end) AS last_period_end,
       bool_or(booking_in_force(p.period_start, p.period_end, $as_of)) AS active_period
FROM keys k
JOIN paid_periods p ON same_inn(p.inn, k.inn) AND p.product = k.product AND p.period_start <= $as_of
GROUP BY k.inn, k.product
