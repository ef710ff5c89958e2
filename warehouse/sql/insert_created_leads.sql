-- A batch's new leads (SPEC §5), and what their placement writes besides their history: the
-- connection bookings (§7) and the notices to their SCs (§8), all read from one staged file.
-- Input: $created (`tasks.placement.placed_with_bookings_and_notices`: the leads' columns,
-- `booking_*` and `notice_*`, empty where a lead has no booking or notice), $as_of (the
-- instant of creation), $feed_id, $new (the status a lead starts in). The notices need no
-- check for an earlier copy, as `insert_notices.sql` makes: their leads are new.
INSERT INTO leads BY NAME
SELECT lead_id, inn, kpp, company_name, region, product, lead_type, temperature, source, sc_id,
       arrived_at, accept_deadline, contact_name, source_event_at, waiting_reason, external_id,
       CASE WHEN waiting_reason IS NOT NULL THEN $as_of END AS waiting_checked_at,
       $new AS status,
       $as_of AS created_at,
       $feed_id AS feed_id
FROM read_parquet($created);

INSERT INTO bookings BY NAME
SELECT inn, kpp, product, sc_id, lead_id,
       booking_kind AS kind, booking_starts_at AS starts_at, booking_ends_at AS ends_at
FROM read_parquet($created)
WHERE booking_kind IS NOT NULL;

INSERT INTO notices BY NAME
SELECT lead_id, sc_id, temperature, accept_deadline,
       notice_cause AS cause, notice_assigned_at AS assigned_at, notice_channel AS channel,
       notice_digest_day AS digest_day, notice_due_at AS due_at
FROM read_parquet($created)
WHERE notice_channel IS NOT NULL;
