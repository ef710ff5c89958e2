-- Every feed with its reconciled counts.
SELECT feed_id, file_name, source, rows_read, created, merged, quarantined, assigned, unassigned
FROM feeds
ORDER BY feed_id
