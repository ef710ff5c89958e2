-- Every feed with its reconciled counts (rows = created + merged + quarantined).
SELECT feed_id AS feed,
       source,
       rows_read AS rows,
       created,
       merged,
       quarantined AS quarantined,
       unassigned AS waiting
FROM feeds
ORDER BY feed_id
