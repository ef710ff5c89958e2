-- Merges by the source that brought the duplicate (SPEC §5.3).
SELECT json_extract_string(detail, '$.source') AS source,
       count(*) AS merge_events,
       count(*) FILTER (
           WHERE json_extract_string(detail, '$.temperature_before')
              <> json_extract_string(detail, '$.temperature_after')
       ) AS made_hotter
FROM lead_events
WHERE kind = 'merged'
GROUP BY source
ORDER BY merge_events DESC, source
