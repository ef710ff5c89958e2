-- The connection leads in work that the vendor invoices.
SELECT inn, kpp, product, sc_id
FROM leads
WHERE status = 'in_work' AND inn IS NOT NULL AND lead_type = 'connection'
ORDER BY lead_id
LIMIT 12
