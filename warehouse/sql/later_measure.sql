-- SPEC §11: the latest record (a start or a lift) after $as_of of the same kind of measure on
-- the same target: an SC ($sc_id), an SC's product, a client x product (any SC: $sc_id NULL).
-- A measure dated before it would rewrite what is on record.
SELECT sanction_id, greatest(starts_at, coalesce(lifted_at, starts_at)) AS changed_at
FROM sanctions
WHERE kind = $kind
  AND ($sc_id IS NULL OR sc_id = $sc_id)
  AND product IS NOT DISTINCT FROM $product
  AND inn IS NOT DISTINCT FROM $inn
  AND greatest(starts_at, coalesce(lifted_at, starts_at)) > $as_of
ORDER BY changed_at DESC, sanction_id DESC
LIMIT 1
