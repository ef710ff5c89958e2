-- Input: $stale(lead_id), Parameter: $as_of.
UPDATE leads
SET status = 'blocked', closed_at = $as_of
FROM read_parquet($stale) s
WHERE leads.lead_id = s.lead_id
