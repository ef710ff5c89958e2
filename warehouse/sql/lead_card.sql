-- One lead as `pp lead show` prints it: its row, its SC's name and zone, its manager's name.
SELECT l.*, c.name AS sc_name, c.timezone, m.name AS manager_name
FROM leads l
LEFT JOIN service_centers c ON c.sc_id = l.sc_id
LEFT JOIN managers m ON m.manager_id = l.manager_id
WHERE l.lead_id = $lead_id
