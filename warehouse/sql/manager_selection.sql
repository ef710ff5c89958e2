-- SPEC §6.1: the SC's leads a mass manager assignment deals (new and in work), with the
-- optional filters. Parameters: $sc, $temperature, $product, $lead_type (NULL: any).
SELECT lead_id, accept_deadline, manager_id AS previous_manager
FROM leads
WHERE sc_id = $sc
  AND is_open(status)
  AND ($temperature IS NULL OR temperature = $temperature)
  AND ($product IS NULL OR product = $product)
  AND ($lead_type IS NULL OR lead_type = $lead_type)
