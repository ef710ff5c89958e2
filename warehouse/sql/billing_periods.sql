-- Paid service periods (SPEC §4's usage history) and the booking each gives its SC (§7).
-- Input: $events.
INSERT INTO paid_periods
SELECT DISTINCT inn, kpp, product, sc_id, period_start, period_end
FROM read_parquet($events) e
WHERE event = 'period'
  AND NOT EXISTS (
      SELECT 1 FROM paid_periods p
      WHERE p.inn = e.inn AND p.product = e.product AND p.sc_id = e.sc_id
        AND p.period_start = e.period_start AND p.period_end = e.period_end
  );

INSERT INTO bookings
SELECT p.inn, p.kpp, p.product, p.sc_id, 'paid_period', p.period_start, p.period_end, NULL, NULL
FROM paid_periods p
WHERE NOT EXISTS (
    SELECT 1 FROM bookings b
    WHERE b.kind = 'paid_period' AND b.inn = p.inn AND b.product = p.product
      AND b.sc_id = p.sc_id AND b.starts_at = p.period_start AND b.ends_at = p.period_end
);
