-- Notices due at $as_of and in no message yet, grouped as they are sent (SPEC §8): one
-- message per SC for its hot leads, one per SC and digest day for warm and cold ones.
SELECT sc_id, channel AS kind, digest_day, count(*)::INTEGER AS lead_count
FROM notices
WHERE notification_id IS NULL AND due_at <= $as_of AND list_contains($channels, channel)
GROUP BY sc_id, channel, digest_day
ORDER BY channel = 'digest', sc_id, digest_day
