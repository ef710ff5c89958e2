-- Schema version 1: reference data, leads and their history, feeds, quarantine,
-- bookings, SLA breaches, notifications outbox, sanctions. Timestamps are UTC.
-- Leads carry no index: DuckDB's over-eager constraint checks break insert-then-update
-- in one transaction; lead_id uniqueness is a table-contract test instead.

CREATE TABLE products (
    product VARCHAR PRIMARY KEY,
    name    VARCHAR NOT NULL
);

CREATE TABLE regions (
    code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL
);

CREATE TABLE sources (
    source         VARCHAR PRIMARY KEY,
    basis_ru       VARCHAR NOT NULL,
    initiator      VARCHAR NOT NULL,
    temperature    VARCHAR,           -- NULL: chosen by the SC (sc_created)
    base_lead_type VARCHAR
);

CREATE TABLE service_centers (
    sc_id        VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    timezone     VARCHAR NOT NULL,     -- IANA zone
    notify_email VARCHAR NOT NULL,
    regions      VARCHAR[] NOT NULL,   -- two-digit region codes it serves
    products     VARCHAR[] NOT NULL,   -- products it sells
    capacity     DOUBLE NOT NULL CHECK (capacity > 0)
);

CREATE TABLE managers (
    manager_id VARCHAR PRIMARY KEY,
    sc_id      VARCHAR NOT NULL,
    name       VARCHAR NOT NULL
);

CREATE TABLE calendar_overrides (
    day  DATE PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('holiday', 'workday'))
);

CREATE TABLE feeds (
    feed_id     BIGINT PRIMARY KEY,
    file_name   VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL UNIQUE,
    source      VARCHAR NOT NULL,
    product     VARCHAR,
    sc_id       VARCHAR,
    as_of       TIMESTAMPTZ NOT NULL,
    loaded_at   TIMESTAMPTZ NOT NULL,
    rows_read   BIGINT NOT NULL,
    created     BIGINT NOT NULL,
    merged      BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    assigned    BIGINT NOT NULL,
    unassigned  BIGINT NOT NULL,
    CHECK (rows_read = created + merged + quarantined)
);

CREATE TABLE quarantine (
    feed_id     BIGINT NOT NULL,
    row_number  BIGINT NOT NULL,
    reason_code VARCHAR NOT NULL,
    detail      VARCHAR NOT NULL,
    raw         VARCHAR NOT NULL       -- JSON: the row as read, under the file's own headers
);

CREATE TABLE source_rows (             -- external ids already turned into leads
    source      VARCHAR NOT NULL,
    external_id VARCHAR NOT NULL,
    feed_id     BIGINT NOT NULL,
    lead_id     BIGINT NOT NULL
);

CREATE TABLE leads (
    lead_id         BIGINT NOT NULL,
    inn             VARCHAR,
    kpp             VARCHAR,
    company_name    VARCHAR,
    region          VARCHAR,
    product         VARCHAR NOT NULL,
    lead_type       VARCHAR NOT NULL,
    temperature     VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    sc_id           VARCHAR,
    manager_id      VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL,
    arrived_at      TIMESTAMPTZ,
    accept_deadline TIMESTAMPTZ,
    taken_at        TIMESTAMPTZ,
    postponed_until TIMESTAMPTZ,
    planned_on      DATE,
    closed_at       TIMESTAMPTZ,
    invoice_id      VARCHAR,
    close_comment   VARCHAR,
    contact_name    VARCHAR,
    source_event_at TIMESTAMPTZ,
    feed_id         BIGINT
);

CREATE TABLE lead_contacts (
    lead_id BIGINT NOT NULL,
    kind    VARCHAR NOT NULL CHECK (kind IN ('phone', 'email')),
    value   VARCHAR NOT NULL
);

CREATE TABLE lead_events (
    lead_id     BIGINT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    kind        VARCHAR NOT NULL,
    actor       VARCHAR NOT NULL,
    detail      VARCHAR                -- JSON text; query it with json_extract
);

CREATE TABLE paid_periods (
    inn          VARCHAR NOT NULL,
    kpp          VARCHAR,
    product      VARCHAR NOT NULL,
    sc_id        VARCHAR,
    period_start TIMESTAMPTZ NOT NULL,
    period_end   TIMESTAMPTZ NOT NULL
);

CREATE TABLE bookings (
    inn        VARCHAR NOT NULL,
    kpp        VARCHAR,
    product    VARCHAR NOT NULL,
    sc_id      VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL CHECK (kind IN ('lead', 'invoice', 'paid_period')),
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    lead_id    BIGINT,
    invoice_id VARCHAR
);

CREATE TABLE sla_breaches (
    lead_id         BIGINT NOT NULL,
    sc_id           VARCHAR NOT NULL,
    temperature     VARCHAR NOT NULL,
    accept_deadline TIMESTAMPTZ NOT NULL,
    detected_at     TIMESTAMPTZ NOT NULL,
    late_minutes    BIGINT NOT NULL,
    PRIMARY KEY (lead_id, accept_deadline)
);

CREATE TABLE notifications (
    notification_id BIGINT PRIMARY KEY,
    sc_id           VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL CHECK (kind IN ('immediate', 'digest')),
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    attempts        INTEGER NOT NULL DEFAULT 0,
    status          VARCHAR NOT NULL DEFAULT 'pending'
);

CREATE TABLE sanctions (
    sanction_id BIGINT PRIMARY KEY,
    kind        VARCHAR NOT NULL,      -- exclude | close_product | transfer_client
    sc_id       VARCHAR,
    product     VARCHAR,
    inn         VARCHAR,
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ,           -- NULL: for good
    reason      VARCHAR,
    created_by  VARCHAR NOT NULL,
    lifted_at   TIMESTAMPTZ
);
