-- SPEC §6 "Transfer": the lead starts afresh at the new SC. The old SC's manager and plan
-- go; a lead a sanction moves out of work is `new` again at its new SC (§9.1.4).
-- Input: $moved(lead_id, to_sc, arrived_at, accept_deadline).
-- The moved rows are deleted and appended anew rather than updated in place: DuckDB's
-- checkpoint rewrites each updated column of every row group an UPDATE touched, so a few
-- leads spread over the table would cost a rewrite of eight columns of most of it, while a
-- deleted row costs a mark and the appended ones fill the table's last row group.
CREATE OR REPLACE TEMP TABLE moved_leads AS
SELECT l.* REPLACE (
           m.to_sc AS sc_id,
           m.arrived_at AS arrived_at,
           m.accept_deadline AS accept_deadline,
           'new' AS status,
           CAST(NULL AS TIMESTAMPTZ) AS taken_at,
           CAST(NULL AS TIMESTAMPTZ) AS postponed_until,
           CAST(NULL AS VARCHAR) AS manager_id,
           CAST(NULL AS DATE) AS planned_on
       )
FROM leads l
JOIN read_parquet($moved) m ON m.lead_id = l.lead_id;

DELETE FROM leads WHERE lead_id IN (SELECT lead_id FROM moved_leads);

INSERT INTO leads BY NAME SELECT * FROM moved_leads;

DROP TABLE moved_leads;
