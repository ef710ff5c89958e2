-- The activity_ids a load applied, so that a later load skips them (SPEC §13); and its
-- refused rows in the quarantine, with their reason and original content. Parameter: $feed_id.
INSERT INTO activity_applied
SELECT activity_id, $feed_id, lead_id, occurred_at FROM activity_done WHERE activity_id IS NOT NULL;

INSERT INTO quarantine (feed_id, row_number, reason_code, detail, raw)
SELECT $feed_id, o.seq, o.reason_code, o.detail, p.raw
FROM activity_outcome o
JOIN activity_pending p USING (seq)
WHERE o.outcome = 'refused'
ORDER BY o.seq
