-- The messages $ids, one row per lead: hottest first, then the most urgent deadline.
SELECT
    n.notification_id, n.kind, n.sc_id, n.recipient, n.message_id, n.digest_day,
    coalesce(s.name, n.sc_id) AS sc_name, coalesce(s.timezone, 'UTC') AS timezone,
    x.lead_id, x.cause, x.temperature, x.accept_deadline,
    l.company_name, l.inn, l.kpp, l.product, p.name AS product_name, l.lead_type
FROM notifications n
JOIN notices x ON x.notification_id = n.notification_id
JOIN leads l ON l.lead_id = x.lead_id
LEFT JOIN service_centers s ON s.sc_id = n.sc_id
LEFT JOIN products p ON p.product = l.product
WHERE list_contains($ids, n.notification_id)
ORDER BY
    n.notification_id,
    hotness(x.temperature),
    x.accept_deadline,
    x.lead_id
