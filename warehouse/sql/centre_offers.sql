-- SPEC §6 rule 3: every region x product an SC offers (it serves the region and sells the
-- product) and whether, at $as_of, it is `excluded` from taking leads of it: excluded from
-- distribution, or its selling of the product closed (§11). The eligible SCs are those not
-- excluded; the rest tell a waiting lead why it waits (SPEC §15).
WITH by_region AS (
    SELECT sc_id, capacity, products, unnest(regions) AS region
    FROM service_centers
),
pairs AS (
    SELECT sc_id, capacity, region, unnest(products) AS product
    FROM by_region
),
sanctioned AS (
    SELECT kind, sc_id, product
    FROM sanctions
    WHERE sanction_in_force(starts_at, ends_at, lifted_at, $as_of)
)
SELECT p.region, p.product, p.sc_id, p.capacity,
       EXISTS (
           SELECT 1 FROM sanctioned s
           WHERE s.sc_id = p.sc_id AND sanction_bars(s.kind, s.product, p.product)
       ) AS excluded
FROM pairs p
