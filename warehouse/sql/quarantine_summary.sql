-- Quarantined rows by feed and reason, of feed $feed_id, or of every feed when it is NULL;
-- feeds in load order, each one's most frequent reason first.
SELECT q.feed_id, f.file_name, f.source, q.reason_code, count(*) AS "rows"
FROM quarantine AS q
JOIN feeds AS f USING (feed_id)
WHERE CAST($feed_id AS BIGINT) IS NULL OR q.feed_id = $feed_id
GROUP BY q.feed_id, f.file_name, f.source, q.reason_code
ORDER BY q.feed_id, "rows" DESC, q.reason_code
