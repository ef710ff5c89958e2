-- Take up to $batch pending messages due at $as_of that no other sender holds now ($now, the
-- wall clock), until $claim_until: two senders running at once never send the same message,
-- and a long backlog is taken a batch at a time, so no claim lapses while its run is at work.
-- The ids taken stay in `claimed` (a lake's UPDATE has no RETURNING).
CREATE OR REPLACE TEMP TABLE claimed AS
SELECT notification_id
FROM notifications
WHERE status = 'pending'
  AND next_attempt_at <= $as_of
  AND (claimed_until IS NULL OR claimed_until <= $now)
  AND list_contains($kinds, kind)
ORDER BY kind = 'digest', notification_id
LIMIT $batch;

UPDATE notifications SET claimed_until = $claim_until
WHERE notification_id IN (SELECT notification_id FROM claimed);
