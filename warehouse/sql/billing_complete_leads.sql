-- Input: $completions(invoice_id, lead_id, paid_at).
UPDATE leads
SET status = 'completed',
    closed_at = c.paid_at,
    invoice_id = c.invoice_id,
    taken_at = coalesce(leads.taken_at, c.paid_at)
FROM read_parquet($completions) c
WHERE leads.lead_id = c.lead_id
