-- Input: $groups(notification_id, sc_id, kind, digest_day, lead_count) from due_notice_groups.
-- Each group becomes one message to the SC's registered address, with a Message-ID drawn once
-- and kept, so that a re-send after a crash carries the same one; its notices point at it.
INSERT INTO notifications (
    notification_id, sc_id, kind, created_at, attempts, status,
    recipient, message_id, digest_day, lead_count, next_attempt_at
)
SELECT
    g.notification_id, g.sc_id, g.kind, $as_of, 0, 'pending',
    s.notify_email,
    '<pp.' || g.notification_id || '.' || replace(gen_random_uuid()::VARCHAR, '-', '') || '@' || $domain || '>',
    g.digest_day, g.lead_count, $as_of
FROM read_parquet($groups) g
LEFT JOIN service_centers s ON s.sc_id = g.sc_id;

UPDATE notices SET notification_id = g.notification_id
FROM read_parquet($groups) g
WHERE notices.notification_id IS NULL
  AND notices.due_at <= $as_of
  AND notices.sc_id = g.sc_id
  AND notices.channel = g.kind
  AND notices.digest_day IS NOT DISTINCT FROM g.digest_day;
