-- Open leads no SC could take yet (SPEC §6 rule 4): the next sweep tries again.
SELECT lead_id, inn, kpp, product, region, lead_type, temperature
FROM leads
WHERE sc_id IS NULL AND is_open(status)
ORDER BY lead_id
