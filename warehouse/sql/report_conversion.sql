-- SPEC §12: conversion by type, source and product in the period, all temperatures together.
SELECT dimension, value, sum(arrived) AS arrived, sum(open) AS open, sum(completed) AS completed,
       sum(refused) AS refused, sum(blocked) AS blocked,
       round(100.0 * sum(completed) / nullif(sum(completed) + sum(refused) + sum(blocked), 0), 1)
           AS conversion_pct
FROM metric_conversion
WHERE period_kind = $kind AND period_start = $first_day
GROUP BY dimension, value
ORDER BY dimension, arrived DESC, value
