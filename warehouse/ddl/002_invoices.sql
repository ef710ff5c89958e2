-- Schema version 2: invoices, so that closing a connection, renewal or upsell lead can be
-- checked against a paid invoice of the same client and product (SPEC §4).
CREATE TABLE invoices (
    invoice_id  VARCHAR PRIMARY KEY,
    inn         VARCHAR NOT NULL,
    kpp         VARCHAR,
    product     VARCHAR NOT NULL,
    sc_id       VARCHAR NOT NULL,
    issued_at   TIMESTAMPTZ NOT NULL,
    valid_until TIMESTAMPTZ,
    paid_at     TIMESTAMPTZ
);
