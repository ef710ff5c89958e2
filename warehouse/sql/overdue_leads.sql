-- SPEC §10: the leads still `new` past their deadline at $as_of, of the swept temperatures:
-- read from `leads` once per sweep, for the breaches and the transfers to share. Narrow:
-- most are long-overdue leads that only the breach record's anti-join needs to see. `row_id`
-- lets transfer_candidates.sql fetch the few it moves without another scan of `leads` (the
-- sweep writes no lead before it reads them, so the row ids hold). `= ANY` rather than
-- list_contains: the same test, which DuckDB runs faster (0.085 s against 0.12 s at 10M leads).
CREATE OR REPLACE TEMP TABLE overdue AS
SELECT rowid AS row_id, lead_id, temperature, sc_id, accept_deadline
FROM leads
WHERE status = 'new'
  AND sc_id IS NOT NULL
  AND accept_deadline < $as_of
  AND temperature = ANY($temperatures)
