-- The demo's clients that go to another SC: connection leads in work and not invoiced, with
-- another SC selling the product (the first by id) to issue the invoice.
SELECT l.inn, l.kpp, l.product, min(c.sc_id) AS sc_id
FROM leads l
JOIN service_centers c ON list_contains(c.products, l.product) AND c.sc_id <> l.sc_id
WHERE l.status = 'in_work' AND l.lead_type = 'connection' AND l.inn IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.inn = l.inn AND i.product = l.product)
GROUP BY l.lead_id, l.inn, l.kpp, l.product
ORDER BY l.lead_id
LIMIT 2
