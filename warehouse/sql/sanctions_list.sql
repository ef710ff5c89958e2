-- Sanctions in force at $as_of, or all of them when $all; newest first.
SELECT sanction_id, kind, sc_id, product, inn, starts_at, ends_at, reason, created_by,
       lifted_at, lifted_by,
       sanction_in_force(starts_at, ends_at, lifted_at, $as_of) AS in_force
FROM sanctions
WHERE $all OR sanction_in_force(starts_at, ends_at, lifted_at, $as_of)
ORDER BY sanction_id DESC
