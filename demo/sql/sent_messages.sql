-- The messages sent, by kind (immediate, digest).
SELECT kind, count(*) AS n FROM notifications WHERE status = 'sent' GROUP BY kind
