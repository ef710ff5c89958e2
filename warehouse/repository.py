"""Named queries and writes of the pipeline: each binds its parameters and returns frames."""

from __future__ import annotations

import csv
from datetime import date, datetime
from typing import Any

import polars as pl

from schemas.enums import EventKind, Temperature
from schemas.rules import DATA
from warehouse.store import Connection, frame, insert, run, scalar, sql, staged

REFERENCE_TABLES = ("service_centers", "managers", "products")


def next_id(con: Connection, table: str, column: str) -> int:
    """The next free id of a table (writers are serialised, one transaction at a time)."""
    return int(scalar(con, f'SELECT coalesce(max("{column}"), 0) + 1 FROM "{table}"'))


def load_reference(con: Connection, tables: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace the reference tables with the given ones; the rule tables come from the package."""
    counts: dict[str, int] = {}
    for table in REFERENCE_TABLES:
        run(con, f'DELETE FROM "{table}"')
        counts[table] = insert(con, table, tables[table])
    run(con, "DELETE FROM calendar_overrides")
    if "calendar" in tables:
        counts["calendar"] = insert(con, "calendar_overrides", tables["calendar"].rename({"date": "day"}))
    for table, file_name in (("sources", "sources.csv"), ("regions", "regions.csv")):
        with (DATA / file_name).open(encoding="utf-8") as fh:
            rows = pl.DataFrame(list(csv.DictReader(fh)), infer_schema_length=None)
        run(con, f'DELETE FROM "{table}"')
        counts[table] = insert(con, table, rows.with_columns(pl.all().replace("", None)))
    return counts


def replace_working_calendar(con: Connection, calendar: pl.DataFrame) -> int:
    """The production calendar the metric views count working minutes on (SPEC §10, §12)."""
    run(con, "DELETE FROM working_calendar")
    return insert(con, "working_calendar", calendar.select("day", "is_working", "cum_start"))


def working_calendar(con: Connection, first_year: int, last_year: int) -> pl.DataFrame:
    """The stored production calendar of those years (empty outside what `pp init` wrote),
    its working seconds counted from the first of them, as `production_calendar` gives it."""
    return frame(
        con,
        "SELECT day, is_working, cum_start - min(cum_start) OVER () AS cum_start FROM working_calendar"
        " WHERE year(day) BETWEEN $first AND $last ORDER BY day",
        {"first": first_year, "last": last_year},
    )


def reference_frames(con: Connection) -> dict[str, pl.DataFrame]:
    return {
        "service_centers": frame(con, "SELECT * FROM service_centers ORDER BY sc_id"),
        "products": frame(con, "SELECT * FROM products ORDER BY product"),
        "regions": frame(con, "SELECT * FROM regions ORDER BY code"),
        "calendar_overrides": frame(con, "SELECT day AS date, kind FROM calendar_overrides"),
    }


def feed_by_sha(con: Connection, sha256: str) -> dict[str, Any] | None:
    found = frame(con, "SELECT * FROM feeds WHERE sha256 = ?", [sha256])
    return found.row(0, named=True) if found.height else None


def client_usage(con: Connection, keys: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    with staged(batch_keys=keys) as files:
        return frame(con, sql("client_usage"), {"as_of": as_of, **files})


def seen_external_ids(con: Connection, source: str, ids: pl.DataFrame) -> pl.DataFrame:
    with staged(batch_ids=ids) as files:
        return frame(con, sql("seen_external_ids"), {"source": source, **files})


def match_open_leads(con: Connection, candidates: pl.DataFrame) -> pl.DataFrame:
    with staged(candidates=candidates) as files:
        return frame(con, sql("match_open_leads"), files)


def active_bookings(con: Connection, keys: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    with staged(batch_keys=keys) as files:
        return frame(con, sql("active_bookings"), {"as_of": as_of, **files})


def eligible_centres(con: Connection, as_of: datetime) -> pl.DataFrame:
    return frame(con, sql("eligible_centres"), {"as_of": as_of})


def sc_loads(con: Connection) -> pl.DataFrame:
    return frame(con, sql("sc_loads"))


def apply_merges(con: Connection, merges: pl.DataFrame) -> None:
    with staged(merges=merges) as files:
        run(con, sql("apply_merges"), files)


def add_contacts(con: Connection, contacts: pl.DataFrame) -> None:
    with staged(new_contacts=contacts) as files:
        run(con, sql("add_contacts"), files)


def mark_overdue(con: Connection, as_of: datetime, temperatures: tuple[Temperature, ...]) -> None:
    """The temporary `overdue` table the sweep's breach and transfer queries read."""
    run(con, sql("overdue_leads"), {"as_of": as_of, "temperatures": [t.value for t in temperatures]})


def record_breaches(con: Connection, as_of: datetime) -> int:
    """Breaches of the leads in `overdue` not recorded yet; returns how many were new."""
    before = int(scalar(con, "SELECT count(*) FROM sla_breaches"))
    run(con, sql("record_breaches"), {"as_of": as_of})
    return int(scalar(con, "SELECT count(*) FROM sla_breaches")) - before


def record_events(
    con: Connection,
    leads: pl.DataFrame,
    kind: EventKind,
    actor: str,
    as_of: datetime,
    *,
    detail: pl.Expr,
) -> None:
    """One `lead_events` row per lead, its detail a JSON object built from the lead's columns."""
    insert(
        con,
        "lead_events",
        leads.select(
            "lead_id",
            occurred_at=pl.lit(as_of, pl.Datetime("us", "UTC")),
            kind=pl.lit(kind.value),
            actor=pl.lit(actor),
            detail=detail.struct.json_encode(),
        ),
    )


def history_after(con: Connection, leads: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """The given leads (a `lead_id` column) whose recorded history goes past `as_of`, latest
    first: lead_id, last_event_at, timezone (their SC's)."""
    with staged(leads=leads.select("lead_id")) as files:
        return frame(con, sql("history_after"), {"as_of": as_of, **files})


def calendar_days(con: Connection, first: date, last: date) -> pl.DataFrame:
    """The stored production calendar's days from `first` to `last` (day, is_working), in order;
    days it does not hold are absent."""
    return frame(
        con,
        "SELECT day, is_working FROM working_calendar WHERE day BETWEEN $first AND $last ORDER BY day",
        {"first": first, "last": last},
    )


def calendar_span(con: Connection) -> tuple[date | None, date | None]:
    """The first and last day of the stored production calendar."""
    first, last = con.execute("SELECT min(day), max(day) FROM working_calendar").fetchall()[0]
    return first, last
