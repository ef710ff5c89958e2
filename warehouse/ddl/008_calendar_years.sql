-- Schema version 8: how far the production calendar is confirmed. One row per year of
-- `working_calendar`, written by `pp init` (tasks/calendar_status.py decides): `source` is
-- `package` (the decree as the `holidays` package carries it), `reference` (calendar.csv has
-- overrides for the year) or `weekdays` (no decree known: fixed holidays on plain weekdays);
-- `confirmed` is false only for `weekdays`.
CREATE TABLE calendar_years (
    year          INTEGER PRIMARY KEY,
    source        VARCHAR NOT NULL,
    confirmed     BOOLEAN NOT NULL,
    override_days INTEGER NOT NULL
);
