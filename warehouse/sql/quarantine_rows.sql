-- The rows feed $feed_id refused, in file order, with their original content: what
-- `pp quarantine export` gives back to the file's owner.
SELECT row_number, reason_code, raw
FROM quarantine
WHERE feed_id = $feed_id
ORDER BY row_number
