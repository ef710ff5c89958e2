-- The SCs, by id (the demo's first SC is the one its mass actions act on), with their regions
-- for the generated feeds to draw from.
SELECT sc_id, regions FROM service_centers ORDER BY sc_id
