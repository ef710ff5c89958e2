-- Contacts a lead does not have yet. Input: $new_contacts, a Parquet file of (lead_id, kind, value).
INSERT INTO lead_contacts
SELECT DISTINCT c.lead_id, c.kind, c.value
FROM read_parquet($new_contacts) c
WHERE NOT EXISTS (
    SELECT 1 FROM lead_contacts lc
    WHERE lc.lead_id = c.lead_id AND lc.kind = c.kind AND lc.value = c.value
)
