-- Payments. An invoice known only from its payment is recorded from the payment itself;
-- an unpaid invoice becomes paid at its first payment. Input: $events.
INSERT INTO invoices
SELECT DISTINCT ON (invoice_id)
       invoice_id, inn, kpp, product, sc_id, event_at, event_at, NULL
FROM read_parquet($events) e
WHERE event = 'invoice_paid'
  AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.invoice_id = e.invoice_id)
ORDER BY invoice_id, row_number;

UPDATE invoices
SET paid_at = p.paid_at
FROM (
    SELECT invoice_id, min(event_at) AS paid_at
    FROM read_parquet($events)
    WHERE event = 'invoice_paid'
    GROUP BY invoice_id
) p
WHERE invoices.invoice_id = p.invoice_id AND invoices.paid_at IS NULL;
