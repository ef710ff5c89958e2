-- SPEC §8, §12: messages to SCs in the period.
SELECT sc_id, kind, sent, leads_notified, pending, failed
FROM metric_notifications
WHERE period_kind = $kind AND period_start = $first_day
ORDER BY sc_id, kind
