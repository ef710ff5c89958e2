-- Schema version 4: the notification outbox (SPEC §8).
-- `notices` holds one row per lead assignment or transfer an SC must be told of, written in
-- the transaction of the assignment itself; `pp notify` groups due notices into
-- `notifications` (one e-mail each) and records every delivery attempt there.

CREATE TABLE notices (
    lead_id         BIGINT NOT NULL,
    sc_id           VARCHAR NOT NULL,
    cause           VARCHAR NOT NULL CHECK (cause IN ('assigned', 'transferred')),
    assigned_at     TIMESTAMPTZ NOT NULL,
    temperature     VARCHAR NOT NULL,   -- at assignment: it chose the channel
    accept_deadline TIMESTAMPTZ,        -- at assignment, as the message shows it
    channel         VARCHAR NOT NULL CHECK (channel IN ('immediate', 'digest')),
    digest_day      DATE,               -- digest: the SC-local day D whose digest lists it
    due_at          TIMESTAMPTZ NOT NULL,
    notification_id BIGINT              -- NULL until grouped into a message
);

ALTER TABLE notifications ADD COLUMN recipient VARCHAR;
ALTER TABLE notifications ADD COLUMN message_id VARCHAR;   -- stable across re-sends
ALTER TABLE notifications ADD COLUMN digest_day DATE;
ALTER TABLE notifications ADD COLUMN lead_count INTEGER;
ALTER TABLE notifications ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE notifications ADD COLUMN claimed_until TIMESTAMPTZ;  -- a sender is at it until then
ALTER TABLE notifications ADD COLUMN last_error VARCHAR;
