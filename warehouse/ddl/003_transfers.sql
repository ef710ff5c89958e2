-- Schema version 3: transfers of leads between SCs (SPEC §6 "Transfer", §9.1.1, §9.1.4), and
-- who lifted a sanction (sanctions are lifted, never deleted).
CREATE TABLE lead_transfers (
    lead_id         BIGINT NOT NULL,
    transferred_at  TIMESTAMPTZ NOT NULL,
    from_sc         VARCHAR NOT NULL,
    to_sc           VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,  -- breach | transfer_client
    missed_deadline TIMESTAMPTZ,       -- the deadline at from_sc, for a breach
    sanction_id     BIGINT             -- the sanction that moved it, for transfer_client
);

ALTER TABLE sanctions ADD COLUMN lifted_by VARCHAR;
