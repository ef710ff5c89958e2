-- Schema version 11: principals' measures on one lead (SPEC §14). A lead removed for a
-- violation (§9.2) is never deleted: it keeps its row with the terminal status `removed`, and
-- `lead_removals` keeps who removed it, when, for which clause, at which SC and the fine. The
-- SLA views leave removed leads out, every stay of them (`is_removed`).
CREATE TABLE lead_removals (
    lead_id    BIGINT NOT NULL,
    removed_at TIMESTAMPTZ NOT NULL,
    sc_id      VARCHAR,                 -- the SC whose violation it was; NULL: the lead waited for one
    violation  VARCHAR NOT NULL,        -- the clause (schemas.enums.Violation): 8.2.1 | 8.2.4
    fine       DECIMAL(18, 2) CHECK (fine > 0),  -- roubles; NULL: no fine
    removed_by VARCHAR NOT NULL
);

-- As in version 6, without any stay of a removed lead: the one at its SC, and those it left.
CREATE OR REPLACE VIEW metric_stays AS
SELECT s.*,
       (working_seconds_at(s.timezone, s.taken_at) - working_seconds_at(s.timezone, s.arrived_at)) / 60.0
           AS working_minutes_to_take
FROM metric_stays_v5 s
WHERE s.lead_id NOT IN (SELECT lead_id FROM leads WHERE is_removed(status));
