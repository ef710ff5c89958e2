-- SC activity (SPEC §13), one round: per lead, its earliest row still undecided (by `at`, then
-- file order) is decided against the lead's state as the previous rounds left it, under the
-- bound rule tables; applied rows move the state on. The caller repeats it until no row is
-- left: as many rounds as the most rows one lead has. Parameters: the option or column
-- names the refusals quote ($contact_field, $invoice_field, $comment_field, $reason_field).
CREATE OR REPLACE TEMP TABLE activity_round AS
WITH earliest AS (
    SELECT * FROM activity_rows
    QUALIFY row_number() OVER (PARTITION BY lead_id ORDER BY acted_at, seq) = 1
),
facts AS (
    SELECT e.*,
           st.status AS status_before, st.lead_type, st.inn, st.product, st.timezone,
           st.last_event_at, st.accept_deadline, st.manager_id AS previous_manager,
           t.target, c.paid_invoice, c.needs_comment, c.from_new, w.statuses AS allowed,
           i.invoice_id IS NOT NULL AS invoice_known,
           i.inn IS NOT DISTINCT FROM st.inn AND i.product = st.product AS invoice_matches,
           i.paid_at,
           m.sc_id AS manager_sc,
           timezone(st.timezone, st.last_event_at) AS last_local
    FROM earliest e
    JOIN activity_state st USING (lead_id)
    LEFT JOIN activity_transitions t ON t.status = st.status AND t.action = e.action
    LEFT JOIN activity_close_rules c ON c.lead_type = st.lead_type
    LEFT JOIN activity_allowed w ON w.action = e.action
    LEFT JOIN invoices i ON i.invoice_id = e.invoice_id
    LEFT JOIN managers m ON m.manager_id = e.manager_id
),
judged AS (
    SELECT f.*,
        'lead ' || f.lead_id AS lead,
        f.status_before IN (SELECT status FROM activity_terminal) AS terminal,
        f.action = 'close' AND f.status_before = 'new' AND NOT f.from_new AS closed_before_contact
    FROM facts f
)
SELECT j.* EXCLUDE (lead, terminal, closed_before_contact, last_local),
    CASE
        WHEN j.last_event_at > j.acted_at THEN {
            'code': 'out_of_order',
            'why': j.lead || '''s last event is at '
                || CASE WHEN microsecond(j.last_local) = 0 THEN strftime(j.last_local, '%Y-%m-%d %H:%M')
                        ELSE strftime(j.last_local, '%Y-%m-%d %H:%M:%S') END
                || ' ' || CASE WHEN epoch(j.last_local) < epoch(j.last_event_at) THEN '-' ELSE '+' END
                || strftime(TIMESTAMP '2000-01-01' + to_seconds(abs(epoch(j.last_local) - epoch(j.last_event_at))), '%H:%M')
                || ' (' || j.timezone || '); an action cannot be dated before it'}
        WHEN j.terminal THEN {
            'code': 'terminal_lead',
            'why': j.lead || ' is ' || j.status_before || '; ' || j.status_before || ' leads do not change'}
        WHEN j.target IS NULL THEN {
            'code': 'bad_transition',
            'why': j.lead || ' is ' || j.status_before || '; ''' || j.action || ''' applies to '
                || j.allowed || ' leads only'}
        WHEN j.closed_before_contact THEN {
            'code': 'bad_transition',
            'why': j.lead || ' is new; a ' || j.lead_type || ' lead is closed after contact (take it first)'}
        WHEN j.action = 'take' AND j.contact IS NULL THEN {
            'code': 'missing_contact',
            'why': j.lead || ': taking it needs ' || $contact_field || ', the call or meeting with the client'}
        WHEN j.action = 'close' AND j.paid_invoice AND j.invoice_id IS NULL THEN {
            'code': 'missing_invoice',
            'why': j.lead || ' is a ' || j.lead_type || ' lead; closing it needs ' || $invoice_field
                || ', a paid invoice'}
        WHEN j.action = 'close' AND NOT j.paid_invoice AND j.invoice_id IS NOT NULL THEN {
            'code': 'bad_action',
            'why': j.lead || ' is a ' || j.lead_type || ' lead; it closes without an invoice'}
        WHEN j.action = 'close' AND j.needs_comment AND coalesce(trim(j.comment), '') = '' THEN {
            'code': 'bad_action',
            'why': j.lead || ' is a ' || j.lead_type || ' lead; closing it needs ' || $comment_field}
        WHEN j.action = 'close' AND j.invoice_id IS NOT NULL AND NOT j.invoice_known THEN {
            'code': 'missing_invoice',
            'why': 'invoice ''' || j.invoice_id || ''' is not in the warehouse; load it with `pp billing`'}
        WHEN j.action = 'close' AND j.invoice_id IS NOT NULL AND NOT j.invoice_matches THEN {
            'code': 'missing_invoice',
            'why': 'invoice ''' || j.invoice_id || ''' is for another client or product than ' || j.lead}
        WHEN j.action = 'close' AND j.invoice_id IS NOT NULL AND j.paid_at IS NULL THEN {
            'code': 'unpaid_invoice',
            'why': 'invoice ''' || j.invoice_id || ''' is not paid yet; a lead closes on a paid invoice'}
        WHEN j.action = 'refuse' AND coalesce(trim(j.reason), '') = '' THEN {
            'code': 'bad_action', 'why': j.lead || ': a refusal needs ' || $reason_field}
        WHEN j.action = 'refuse' AND j.status_before = 'new' AND j.contact IS NULL THEN {
            'code': 'missing_contact',
            'why': j.lead || ' is new; refusing it needs ' || $contact_field
                || ': the call or meeting of the refusal'}
        WHEN j.action = 'assign_manager' AND j.manager_sc IS DISTINCT FROM j.sc_id THEN {
            'code': 'unknown_manager',
            'why': 'manager ''' || j.manager_id || ''' is not a manager of ' || j.sc_id}
    END AS refusal,
    refusal IS NULL AND j.status_before = 'new' AND j.target <> 'new' AS leaves_new
FROM judged j;

INSERT INTO activity_outcome
SELECT seq, activity_id, lead_id,
       CASE WHEN refusal IS NULL THEN 'applied' ELSE 'refused' END,
       refusal.code, refusal.why,
       leaves_new AND accept_deadline < acted_at,
       CASE WHEN refusal IS NULL THEN target ELSE status_before END
FROM activity_round;

INSERT INTO activity_done
SELECT r.seq, r.activity_id, r.lead_id, r.acted_at, a.event_kind, 'sc:' || r.sc_id,
       CASE r.action
           WHEN 'take' THEN json_object('contact', r.contact, 'note', r.comment)
           WHEN 'postpone' THEN json_object('until', strftime(r.until_at, '%Y-%m-%dT%H:%M:%S+00:00'))
           WHEN 'stage' THEN json_object('stage', r.stage, 'note', r.comment)
           WHEN 'close' THEN json_object('invoice_id', r.invoice_id, 'comment', r.comment)
           WHEN 'refuse' THEN json_object('reason', r.reason, 'contact', r.contact)
           WHEN 'assign_manager' THEN json_object('manager_id', r.manager_id, 'previous_manager', r.previous_manager)
       END::VARCHAR
FROM activity_round r
JOIN activity_actions a USING (action)
WHERE r.refusal IS NULL;

-- What each action writes on the lead, as `pp lead …` always has (SPEC §3, §4, §6.1, §6.3).
UPDATE activity_state
SET status = r.target,
    last_event_at = r.acted_at,
    touched = true,
    left_new_at = CASE WHEN r.leaves_new THEN r.acted_at ELSE activity_state.left_new_at END,
    taken_at = CASE
        WHEN r.action = 'take' THEN r.acted_at
        WHEN r.action = 'postpone' OR r.action = 'close' AND r.status_before = 'new'
            THEN coalesce(activity_state.taken_at, r.acted_at)
        ELSE activity_state.taken_at END,
    postponed_until = CASE WHEN r.action = 'postpone' THEN r.until_at ELSE activity_state.postponed_until END,
    closed_at = CASE WHEN r.action IN ('close', 'refuse') THEN r.acted_at ELSE activity_state.closed_at END,
    invoice_id = CASE WHEN r.action = 'close' THEN r.invoice_id ELSE activity_state.invoice_id END,
    close_comment = CASE
        WHEN r.action = 'close' THEN r.comment
        WHEN r.action = 'refuse' THEN r.reason
        ELSE activity_state.close_comment END,
    manager_id = CASE WHEN r.action = 'assign_manager' THEN r.manager_id ELSE activity_state.manager_id END
FROM activity_round r
WHERE r.refusal IS NULL AND activity_state.lead_id = r.lead_id;

DELETE FROM activity_rows WHERE seq IN (SELECT seq FROM activity_round)
