-- External ids of the batch already turned into leads from the same source: the id of the
-- row that created a lead (on the lead) or of a row that went into one (`source_rows`).
-- Input: $batch_ids, a Parquet file of (external_id).
SELECT DISTINCT b.external_id
FROM read_parquet($batch_ids) b
WHERE b.external_id IN (SELECT external_id FROM leads WHERE source = $source)
   OR b.external_id IN (SELECT external_id FROM source_rows WHERE source = $source)
