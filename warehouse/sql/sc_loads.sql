-- Open-lead load of each SC (SPEC §6 rule 3).
SELECT sc_id, count(*) AS open_leads
FROM leads
WHERE is_open(status) AND sc_id IS NOT NULL
GROUP BY sc_id
