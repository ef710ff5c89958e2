-- SPEC §11, §14: the measures in force at $as_of that keep SC $sc_id from new leads of
-- $product (the same `sanction_bars` rule as centre_offers.sql): a principal cannot assign or transfer a
-- lead there while one holds.
SELECT sanction_id, kind, ends_at
FROM sanctions
WHERE sc_id = $sc_id
  AND sanction_in_force(starts_at, ends_at, lifted_at, $as_of)
  AND sanction_bars(kind, product, $product)
ORDER BY sanction_id
