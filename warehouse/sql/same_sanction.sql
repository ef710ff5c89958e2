-- The same measure already in force at $as_of: applying it again changes nothing.
SELECT sanction_id
FROM sanctions
WHERE kind = $kind
  AND sc_id = $sc_id
  AND product IS NOT DISTINCT FROM $product
  AND inn IS NOT DISTINCT FROM $inn
  AND ends_at IS NOT DISTINCT FROM $ends_at
  AND sanction_in_force(starts_at, ends_at, lifted_at, $as_of)
ORDER BY sanction_id
LIMIT 1
