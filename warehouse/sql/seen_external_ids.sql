-- External ids of the batch already turned into leads from the same source.
-- Input: $batch_ids, a Parquet file of (external_id).
SELECT DISTINCT r.external_id
FROM source_rows r
JOIN read_parquet($batch_ids) b ON r.external_id = b.external_id
WHERE r.source = $source
