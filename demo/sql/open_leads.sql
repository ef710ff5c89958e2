-- The open leads at an SC, as the simulated SC work reads them: what stay each is in (arrived_at,
-- its deadline), where it stands (status, taken_at, manager) and whose client and product it is,
-- for the billing that invoices it.
SELECT l.lead_id, l.sc_id, l.temperature, l.lead_type, l.status, l.inn, l.kpp, l.product,
       l.arrived_at, l.accept_deadline, l.taken_at, l.manager_id, m.sc_id AS manager_sc
FROM leads l
LEFT JOIN managers m ON m.manager_id = l.manager_id
WHERE l.status IN ('new', 'in_work') AND l.sc_id IS NOT NULL
ORDER BY l.lead_id
