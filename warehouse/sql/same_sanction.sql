-- The same measure already in force at $as_of: applying it again changes nothing.
SELECT sanction_id
FROM sanctions
WHERE kind = $kind
  AND sc_id = $sc_id
  AND product IS NOT DISTINCT FROM $product
  AND inn IS NOT DISTINCT FROM $inn
  AND ends_at IS NOT DISTINCT FROM $ends_at
  AND lifted_at IS NULL
  AND starts_at <= $as_of
  AND (ends_at IS NULL OR $as_of < ends_at)
ORDER BY sanction_id
LIMIT 1
