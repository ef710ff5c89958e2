-- SPEC §12: open leads by age at $as_of, per SC and temperature.
SELECT sc_id, temperature, age_band, sum(leads) AS leads, sum(overdue) AS overdue
FROM metric_backlog_at($as_of)
GROUP BY sc_id, temperature, age_band, age_band_order
ORDER BY sc_id, temperature, age_band_order
