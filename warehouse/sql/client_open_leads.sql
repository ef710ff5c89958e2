-- SPEC §9.1.4: a client's open leads of a product held by SCs other than $to_sc, to move there.
SELECT lead_id, sc_id AS from_sc, $to_sc AS to_sc, lead_type, temperature, inn, kpp, product,
       accept_deadline
FROM leads
WHERE same_inn(inn, $inn)
  AND product = $product
  AND is_open(status)
  AND sc_id IS DISTINCT FROM $to_sc
ORDER BY lead_id
