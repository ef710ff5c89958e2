-- Schema version 12: a lead keeps the external id of the feed row that created it, so an
-- ingest no longer writes a `source_rows` row per lead it creates; `source_rows` holds only
-- the ids of the other rows that went into a lead (merged into it, or collapsed with its
-- first row in the same feed). An id is known to a source when either holds it
-- (`seen_external_ids.sql`). Warehouses written before keep every id in `source_rows`, which
-- is still read: nothing moves, and their leads' `external_id` stays empty.
ALTER TABLE leads ADD COLUMN external_id VARCHAR;
