-- SPEC §5.3: the open lead (new or in_work, at any SC) each candidate merges into.
-- By INN+KPP when the candidate has an INN; otherwise by a shared phone or e-mail.
-- Input: $candidates, a Parquet file of (client_key, product, inn, kpp, match_phone, match_email).
WITH open_leads AS (
    SELECT lead_id, inn, kpp, product
    FROM leads
    WHERE is_open(status)
),
by_inn AS (
    SELECT c.client_key, c.product, l.lead_id
    FROM read_parquet($candidates) c
    JOIN open_leads l
      ON same_client(l.inn, l.kpp, c.inn, c.kpp) AND l.product = c.product
    WHERE c.inn IS NOT NULL
),
contact_keys AS (
    SELECT client_key, product, 'phone' AS kind, match_phone AS value
    FROM read_parquet($candidates) WHERE inn IS NULL AND match_phone IS NOT NULL
    UNION ALL
    SELECT client_key, product, 'email' AS kind, match_email AS value
    FROM read_parquet($candidates) WHERE inn IS NULL AND match_email IS NOT NULL
),
by_contact AS (
    SELECT k.client_key, k.product, l.lead_id
    FROM contact_keys k
    JOIN lead_contacts lc ON lc.kind = k.kind AND lc.value = k.value
    JOIN open_leads l ON l.lead_id = lc.lead_id AND l.product = k.product
),
matched AS (
    SELECT client_key, product, min(lead_id) AS lead_id
    FROM (SELECT * FROM by_inn UNION ALL SELECT * FROM by_contact)
    GROUP BY client_key, product
)
SELECT m.client_key,
       m.product,
       m.lead_id,
       l.temperature     AS lead_temperature,
       l.status          AS lead_status,
       l.sc_id           AS lead_sc_id,
       l.accept_deadline AS lead_deadline,
       sc.timezone
FROM matched m
JOIN leads l ON l.lead_id = m.lead_id
LEFT JOIN service_centers sc ON sc.sc_id = l.sc_id
