-- SPEC §4: a paid invoice completes the open connection, renewal or upsell lead of the same
-- client and product (the oldest, one lead per invoice, an invoice used once).
-- Input: $events.
WITH paid AS (
    SELECT i.invoice_id, i.inn, i.product, i.paid_at
    FROM invoices i
    WHERE i.paid_at IS NOT NULL
      AND i.invoice_id IN (SELECT invoice_id FROM read_parquet($events) WHERE event = 'invoice_paid')
      AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.invoice_id = i.invoice_id)
)
SELECT DISTINCT ON (p.invoice_id) p.invoice_id, l.lead_id, l.sc_id, l.status, p.paid_at
FROM paid p
JOIN leads l
  ON same_inn(l.inn, p.inn) AND l.product = p.product
 AND is_open(l.status)
 AND l.lead_type IN ('connection', 'renewal', 'upsell')
ORDER BY p.invoice_id, l.lead_id
