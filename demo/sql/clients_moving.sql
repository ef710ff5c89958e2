-- The demo's clients that go to another SC: connection leads in work and not invoiced whose
-- lead booking at their SC ended by $as_of and nothing else books them there, with another SC
-- selling the product (the first by id) to issue the invoice.
SELECT l.inn, l.kpp, l.product, min(c.sc_id) AS sc_id
FROM leads l
JOIN bookings b ON b.kind = 'lead' AND b.sc_id = l.sc_id AND b.inn = l.inn AND b.product = l.product
JOIN service_centers c ON list_contains(c.products, l.product) AND c.sc_id <> l.sc_id
WHERE l.status = 'in_work' AND l.lead_type = 'connection' AND l.inn IS NOT NULL AND b.ends_at <= $as_of
  AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.inn = l.inn AND i.product = l.product)
  AND NOT EXISTS (
      SELECT 1 FROM bookings mine
      WHERE mine.inn = l.inn AND mine.product = l.product AND mine.sc_id = l.sc_id
        AND booking_in_force(mine.starts_at, mine.ends_at, $as_of)
  )
GROUP BY l.lead_id, l.inn, l.kpp, l.product
ORDER BY l.lead_id
LIMIT 2
