-- The server accepted the messages $ids (the folder holds their files): never sent again.
UPDATE notifications
SET status = 'sent', sent_at = $as_of, attempts = attempts + 1, claimed_until = NULL, last_error = NULL
WHERE list_contains($ids, notification_id)
