-- SPEC §14 (§9.2): a removed lead keeps its row, closed with the terminal status $status;
-- the record of who removed it, when, for which clause and the fine goes to lead_removals.
UPDATE leads SET status = $status, closed_at = $as_of WHERE lead_id = $lead_id;

INSERT INTO lead_removals (lead_id, removed_at, sc_id, violation, fine, removed_by)
SELECT lead_id, $as_of, sc_id, $violation, $fine, $by FROM leads WHERE lead_id = $lead_id;
