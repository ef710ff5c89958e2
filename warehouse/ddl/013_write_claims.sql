-- Schema version 13: write claims (warehouse/store.py CLAIMS). A writer that takes ids as
-- max + 1 or skips rows already there updates its claim's row in the same transaction, so
-- that on a lake two such writers at once conflict at commit and the later one runs again on
-- a snapshot that sees the other's rows. `pp init` writes one row per claim.
CREATE TABLE write_claims (
    claim  VARCHAR NOT NULL,
    serial BIGINT NOT NULL            -- how many transactions claimed it
);
