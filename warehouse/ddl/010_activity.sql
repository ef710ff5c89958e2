-- Schema version 10: SC activity in bulk (SPEC §13). A load of an activity file is a row of
-- `feeds` (source `activity`; created = applied, merged = skipped as applied before) and its
-- refused rows are in `quarantine`; this table keeps the activity_ids applied, so that an
-- action sent twice is applied once.
CREATE TABLE activity_applied (
    activity_id VARCHAR NOT NULL,
    feed_id     BIGINT NOT NULL,
    lead_id     BIGINT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL
);
