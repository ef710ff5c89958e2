-- Quarantined rows by reason.
SELECT reason_code, count(*) AS rows
FROM quarantine
GROUP BY reason_code
ORDER BY rows DESC, reason_code
