-- Transfers by reason and temperature: how many leads moved, from and to how many SCs.
SELECT t.reason,
       l.temperature,
       count(*) AS transfers,
       count(DISTINCT t.from_sc) AS from_scs,
       count(DISTINCT t.to_sc) AS to_scs
FROM lead_transfers t
JOIN leads l USING (lead_id)
GROUP BY t.reason, l.temperature
ORDER BY t.reason, hotness(l.temperature)
