-- SPEC §5.3: a merged lead takes the hotter temperature; a lead still `new` that became
-- hotter keeps the earlier of its deadline and the new one. Input: $merges, a Parquet file of (lead_id,
-- merged_temperature, tightened_deadline).
UPDATE leads
SET temperature = m.merged_temperature,
    accept_deadline = CASE
        WHEN leads.status = 'new' AND m.tightened_deadline IS NOT NULL
        THEN least(leads.accept_deadline, m.tightened_deadline)
        ELSE leads.accept_deadline
    END
FROM read_parquet($merges) m
WHERE leads.lead_id = m.lead_id
