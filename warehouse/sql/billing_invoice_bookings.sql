-- SPEC §7: an invoice books client x product at its SC until it is paid or expires.
INSERT INTO bookings
SELECT inn, kpp, product, sc_id, 'invoice', issued_at, valid_until, NULL, invoice_id
FROM invoices i
WHERE valid_until > issued_at
  AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.kind = 'invoice' AND b.invoice_id = i.invoice_id);

UPDATE bookings
SET ends_at = i.paid_at
FROM invoices i
WHERE bookings.kind = 'invoice'
  AND bookings.invoice_id = i.invoice_id
  AND i.paid_at IS NOT NULL
  AND bookings.ends_at > i.paid_at;
