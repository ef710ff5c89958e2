-- SPEC §7: the stale leads are blocked as at $as_of. Input: $stale(lead_id).
-- Deleted and appended anew rather than updated in place, as moves are (apply_transfers.sql):
-- a checkpoint rewrites each updated column of every row group an UPDATE touched, while a
-- deleted row costs a mark and the appended ones fill the table's last row group.
CREATE OR REPLACE TEMP TABLE blocked_leads AS
SELECT l.* REPLACE ('blocked' AS status, CAST($as_of AS TIMESTAMPTZ) AS closed_at)
FROM leads l
JOIN read_parquet($stale) s ON s.lead_id = l.lead_id;

DELETE FROM leads WHERE lead_id IN (SELECT lead_id FROM blocked_leads);

INSERT INTO leads BY NAME SELECT * FROM blocked_leads;

DROP TABLE blocked_leads;
