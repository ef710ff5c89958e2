-- Invoices issued that the warehouse does not know yet (the first row of an id wins).
-- Input: $events, a Parquet file of valid billing rows.
INSERT INTO invoices
SELECT DISTINCT ON (invoice_id)
       invoice_id, inn, kpp, product, sc_id, event_at AS issued_at, valid_until, NULL AS paid_at
FROM read_parquet($events) e
WHERE event = 'invoice_issued'
  AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.invoice_id = e.invoice_id)
ORDER BY invoice_id, row_number
