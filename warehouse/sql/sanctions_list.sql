-- Sanctions in force at $as_of, or all of them when $all; newest first.
SELECT sanction_id, kind, sc_id, product, inn, starts_at, ends_at, reason, created_by,
       lifted_at, lifted_by,
       lifted_at IS NULL AND starts_at <= $as_of AND (ends_at IS NULL OR $as_of < ends_at) AS in_force
FROM sanctions
WHERE $all OR (lifted_at IS NULL AND starts_at <= $as_of AND (ends_at IS NULL OR $as_of < ends_at))
ORDER BY sanction_id DESC
