-- Take the pending messages due at $as_of that no other sender holds now ($now, the wall
-- clock), until $claim_until: two senders running at once never send the same message.
UPDATE notifications SET claimed_until = $claim_until
WHERE status = 'pending'
  AND next_attempt_at <= $as_of
  AND (claimed_until IS NULL OR claimed_until <= $now)
  AND list_contains($kinds, kind)
RETURNING notification_id
