-- A few call-base clients still waiting, whom the vendor's billing reports a paid period for.
SELECT inn, kpp, product, sc_id
FROM leads
WHERE source = 'call_base' AND status = 'new' AND inn IS NOT NULL
ORDER BY lead_id
LIMIT 5
