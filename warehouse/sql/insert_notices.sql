-- Input: $notices (tasks.notices.plan_notices). A notice of the same lead, SC and instant is
-- queued once: calling again announces nothing twice.
INSERT INTO notices BY NAME
SELECT n.*
FROM read_parquet($notices) n
WHERE NOT EXISTS (
    SELECT 1 FROM notices o
    WHERE o.lead_id = n.lead_id AND o.sc_id = n.sc_id AND o.assigned_at = n.assigned_at
)
