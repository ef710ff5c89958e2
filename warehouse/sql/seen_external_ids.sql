-- External ids of the batch already turned into leads from the same source.
-- Input: batch_ids(external_id).
SELECT DISTINCT r.external_id
FROM source_rows r
JOIN batch_ids b ON r.external_id = b.external_id
WHERE r.source = $source
