-- Input: $failed(notification_id, permanent, reason). Each row counts an attempt. A permanent
-- refusal, or the last attempt allowed, fails the message for good; the others wait
-- $base_seconds × 2^(attempts so far), at most $max_seconds, for a later run.
UPDATE notifications SET
    attempts = attempts + 1,
    last_error = f.reason,
    claimed_until = NULL,
    status = CASE WHEN f.permanent OR attempts + 1 >= $max_attempts THEN 'failed' ELSE 'pending' END,
    next_attempt_at = $as_of + to_seconds(least($base_seconds * pow(2, attempts), $max_seconds)::BIGINT)
FROM read_parquet($failed) f
WHERE notifications.notification_id = f.notification_id
