-- Input: $dealt(lead_id, manager_id).
UPDATE leads
SET manager_id = d.manager_id
FROM read_parquet($dealt) d
WHERE leads.lead_id = d.lead_id
