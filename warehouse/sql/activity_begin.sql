-- SC activity (SPEC §13), step 1: the rule tables of `tasks/lifecycle.py`, bound from its
-- columns (`rule_columns`), and the empty work tables of one apply. All temporary: they
-- live as long as the transaction's connection.
CREATE OR REPLACE TEMP TABLE activity_transitions AS
SELECT unnest($transition_status) AS status,
       unnest($transition_action) AS action,
       unnest($transition_target) AS target;

CREATE OR REPLACE TEMP TABLE activity_terminal AS
SELECT unnest($terminal_status) AS status;

CREATE OR REPLACE TEMP TABLE activity_close_rules AS
SELECT unnest($close_type) AS lead_type,
       unnest($close_paid_invoice) AS paid_invoice,
       unnest($close_comment) AS needs_comment,
       unnest($close_from_new) AS from_new;

CREATE OR REPLACE TEMP TABLE activity_actions AS
SELECT unnest($action_name) AS action, unnest($action_event) AS event_kind;

-- For the refusal of an action on a status: the statuses it applies to, as a sentence.
CREATE OR REPLACE TEMP TABLE activity_allowed AS
SELECT action, string_agg(status, ' or ' ORDER BY status) AS statuses
FROM activity_transitions GROUP BY action;

-- The rows to decide: instants with an offset in *_utc, wall times (the SC's zone) in *_local;
-- bad_field says what the reader could not read.
CREATE OR REPLACE TEMP TABLE activity_pending (
    seq         BIGINT NOT NULL,
    activity_id VARCHAR,
    lead_id     BIGINT,
    action      VARCHAR,
    at_utc      TIMESTAMPTZ,
    at_local    TIMESTAMP,
    contact     VARCHAR,
    until_utc   TIMESTAMPTZ,
    until_local TIMESTAMP,
    stage       VARCHAR,
    invoice_id  VARCHAR,
    comment     VARCHAR,
    reason      VARCHAR,
    manager_id  VARCHAR,
    bad_field   VARCHAR,
    raw         VARCHAR
);

-- What became of each row: applied, seen (an activity_id applied before) or refused.
CREATE OR REPLACE TEMP TABLE activity_outcome (
    seq         BIGINT NOT NULL,
    activity_id VARCHAR,
    lead_id     BIGINT,
    outcome     VARCHAR NOT NULL,
    reason_code VARCHAR,
    detail      VARCHAR,
    late        BOOLEAN,
    status      VARCHAR
);

-- The history rows the applied actions leave.
CREATE OR REPLACE TEMP TABLE activity_done (
    seq         BIGINT NOT NULL,
    activity_id VARCHAR,
    lead_id     BIGINT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    kind        VARCHAR NOT NULL,
    actor       VARCHAR NOT NULL,
    detail      VARCHAR NOT NULL
)
