-- SC activity (SPEC §13), last step: every lead an applied row touched takes the state the
-- rounds left it in.
UPDATE leads
SET status = s.status,
    taken_at = s.taken_at,
    postponed_until = s.postponed_until,
    closed_at = s.closed_at,
    invoice_id = s.invoice_id,
    close_comment = s.close_comment,
    manager_id = s.manager_id
FROM activity_state s
WHERE s.touched AND leads.lead_id = s.lead_id
