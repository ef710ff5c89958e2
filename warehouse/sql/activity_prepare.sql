-- SC activity (SPEC §13), step 2: the state of every lead the rows name, their instants in
-- UTC (a wall time read in the lead's SC zone), rows whose activity_id was applied before,
-- and the refusals that do not depend on the order of the rows. Parameters: $contacts,
-- $stages (the accepted values), $as_of (no action is dated after it), $until_field.
CREATE OR REPLACE TEMP TABLE activity_state AS
WITH named AS (
    SELECT DISTINCT lead_id FROM activity_pending WHERE lead_id IS NOT NULL
),
history AS (
    SELECT lead_id, occurred_at AS event_at FROM lead_events WHERE lead_id IN (SELECT lead_id FROM named)
    UNION ALL
    SELECT lead_id, detected_at FROM sla_breaches WHERE lead_id IN (SELECT lead_id FROM named)
),
latest AS (
    SELECT lead_id, max(event_at) AS last_event_at FROM history GROUP BY lead_id
)
SELECT l.lead_id, l.status, l.lead_type, l.sc_id, l.inn, l.product, l.accept_deadline,
       coalesce(s.timezone, 'UTC') AS timezone, h.last_event_at,
       l.taken_at, l.postponed_until, l.closed_at, l.invoice_id, l.close_comment, l.manager_id,
       NULL::TIMESTAMPTZ AS left_new_at, false AS touched
FROM leads l
JOIN named USING (lead_id)
LEFT JOIN latest h USING (lead_id)
LEFT JOIN service_centers s ON s.sc_id = l.sc_id;

CREATE OR REPLACE TEMP TABLE activity_rows AS
SELECT p.* EXCLUDE (at_utc, at_local, until_utc, until_local, raw),
       coalesce(p.at_utc, timezone(st.timezone, p.at_local)) AS acted_at,
       coalesce(p.until_utc, timezone(st.timezone, p.until_local)) AS until_at,
       st.lead_id IS NOT NULL AS known,
       st.sc_id
FROM activity_pending p
LEFT JOIN activity_state st USING (lead_id);

-- An activity_id applied by an earlier load, or repeated further down this one: skipped.
INSERT INTO activity_outcome (seq, activity_id, lead_id, outcome, detail)
SELECT seq, activity_id, lead_id, 'seen',
       CASE WHEN activity_id IN (SELECT activity_id FROM activity_applied)
            THEN 'activity_id applied before' ELSE 'activity_id repeated in the file' END
FROM activity_rows
WHERE activity_id IS NOT NULL
QUALIFY activity_id IN (SELECT activity_id FROM activity_applied)
     OR row_number() OVER (PARTITION BY activity_id ORDER BY seq) > 1;

DELETE FROM activity_rows WHERE seq IN (SELECT seq FROM activity_outcome);

INSERT INTO activity_outcome (seq, activity_id, lead_id, outcome, reason_code, detail)
WITH judged AS (
    SELECT r.seq, r.activity_id, r.lead_id,
        CASE
            WHEN r.bad_field IS NOT NULL THEN {'code': 'bad_action', 'why': r.bad_field}
            WHEN r.action IS NULL OR r.action NOT IN (SELECT action FROM activity_actions) THEN {
                'code': 'bad_action',
                'why': 'action ' || coalesce('''' || r.action || '''', 'missing') || ' is not one of '
                    || (SELECT string_agg(action, ', ' ORDER BY action) FROM activity_actions)}
            WHEN NOT r.known THEN {'code': 'unknown_lead', 'why': 'lead ' || r.lead_id || ' does not exist'}
            WHEN r.sc_id IS NULL THEN {
                'code': 'unknown_lead',
                'why': 'lead ' || r.lead_id || ' is not assigned to a service centre yet'}
            WHEN r.acted_at IS NULL THEN {
                'code': 'bad_action',
                'why': 'at is a wall time the SC''s zone skips (a clock change); give it with an offset'}
            WHEN r.acted_at > $as_of THEN {
                'code': 'bad_action',
                'why': 'at ' || strftime(r.acted_at, '%Y-%m-%dT%H:%M:%S+00:00') || ' is after the load''s as-of '
                    || strftime($as_of::TIMESTAMPTZ, '%Y-%m-%dT%H:%M:%S+00:00')}
            WHEN r.contact IS NOT NULL AND NOT list_contains($contacts, r.contact) THEN {
                'code': 'bad_action',
                'why': 'contact ''' || r.contact || ''' is not one of ' || array_to_string($contacts, ', ')}
            WHEN r.stage IS NOT NULL AND NOT list_contains($stages, r.stage) THEN {
                'code': 'bad_action',
                'why': 'stage ''' || r.stage || ''' is not one of ' || array_to_string($stages, ', ')}
            WHEN r.action = 'stage' AND r.stage IS NULL THEN {'code': 'bad_action', 'why': 'a stage action needs its stage'}
            WHEN r.action = 'assign_manager' AND r.manager_id IS NULL THEN {
                'code': 'bad_action', 'why': 'assign_manager needs its manager_id'}
            WHEN r.action = 'postpone' AND r.until_at IS NULL THEN {
                'code': 'bad_action', 'why': 'a postponement needs ' || $until_field}
            WHEN r.action = 'postpone' AND r.until_at <= r.acted_at THEN {
                'code': 'bad_action',
                'why': $until_field || ' ' || strftime(r.until_at, '%Y-%m-%dT%H:%M:%S+00:00') || ' is not after '
                    || strftime(r.acted_at, '%Y-%m-%dT%H:%M:%S+00:00') || '; postpone to the future'}
        END AS refusal
    FROM activity_rows r
)
SELECT seq, activity_id, lead_id, 'refused', refusal.code, refusal.why FROM judged WHERE refusal IS NOT NULL;

DELETE FROM activity_rows WHERE seq IN (SELECT seq FROM activity_outcome)
