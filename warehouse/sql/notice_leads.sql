-- Input: $assigned(lead_id, sc_id): leads just assigned or transferred in this transaction.
-- Each lead as the assignment left it, with its SC's zone (SPEC §8).
SELECT a.lead_id, a.sc_id, l.temperature, l.accept_deadline, s.timezone
FROM read_parquet($assigned) a
JOIN leads l ON l.lead_id = a.lead_id
JOIN service_centers s ON s.sc_id = a.sc_id
ORDER BY a.lead_id
