-- SPEC §6 rule 3: which SC may take a lead of a region x product at $as_of: it serves the
-- region, sells the product, is not excluded and its selling of the product is not closed.
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
SELECT p.region, p.product, p.sc_id, p.capacity
FROM pairs p
WHERE NOT EXISTS (
    SELECT 1 FROM sanctioned s
    WHERE s.sc_id = p.sc_id AND sanction_bars(s.kind, s.product, p.product)
)
