-- The connection leads in work that the vendor invoices: only leads taken by $taken_by, the
-- instant the invoices are issued, so that no invoice comes before its lead was taken.
SELECT inn, kpp, product, sc_id
FROM leads
WHERE status = 'in_work' AND inn IS NOT NULL AND lead_type = 'connection' AND taken_at <= $taken_by
ORDER BY lead_id
LIMIT 12
