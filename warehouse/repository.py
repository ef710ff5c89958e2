"""Named queries and writes of the pipeline: each binds its parameters and returns frames."""

from __future__ import annotations

import csv
from datetime import date, datetime
from typing import Any

import polars as pl

from schemas.enums import EventKind, Status, Temperature
from schemas.instants import UTC_US
from schemas.rules import DATA, SLA_TERMS
from warehouse.store import Connection, frame, insert, run, run_script, scalar, sql, staged

REFERENCE_TABLES = ("service_centers", "managers", "products")


def _first_row(con: Connection, query: str, params: list[Any]) -> dict[str, Any] | None:
    """The first row a lookup finds, by column name, or None when it finds none."""
    found = frame(con, query, params)
    return found.row(0, named=True) if found.height else None


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


def replace_calendar_years(con: Connection, years: pl.DataFrame) -> int:
    """Each calendar year's source and whether it is confirmed (`tasks.calendar_status`)."""
    run(con, "DELETE FROM calendar_years")
    return insert(con, "calendar_years", years.select("year", "source", "confirmed", "override_days"))


def calendar_years(con: Connection) -> pl.DataFrame:
    """The years `pp init` recorded, in order: year, source, confirmed, override_days."""
    return frame(con, "SELECT year, source, confirmed, override_days FROM calendar_years ORDER BY year")


def unconfirmed_deadlines(con: Connection, *, feed_id: int | None = None) -> int:
    """Leads still `new` whose working-time deadline falls in an unconfirmed calendar year."""
    working_time = [t.value for t, term in SLA_TERMS.items() if term.working_minutes is not None]
    params = {"new": Status.NEW.value, "temperatures": working_time, "feed_id": feed_id}
    return int(scalar(con, sql("unconfirmed_deadlines"), params))


def reference_frames(con: Connection) -> dict[str, pl.DataFrame]:
    return {
        "service_centers": frame(con, "SELECT * FROM service_centers ORDER BY sc_id"),
        "products": frame(con, "SELECT * FROM products ORDER BY product"),
        "regions": frame(con, "SELECT * FROM regions ORDER BY code"),
        "calendar_overrides": frame(con, "SELECT day AS date, kind FROM calendar_overrides"),
    }


def feed_by_sha(con: Connection, sha256: str) -> dict[str, Any] | None:
    return _first_row(con, "SELECT * FROM feeds WHERE sha256 = ?", [sha256])


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


def record_breaches(con: Connection, as_of: datetime) -> pl.DataFrame:
    """Breaches of the leads in `overdue` not recorded yet; returns the new ones (sc_id,
    temperature)."""
    return frame(con, sql("record_breaches"), {"as_of": as_of})


def record_events(
    con: Connection,
    leads: pl.DataFrame,
    kind: EventKind,
    actor: str,
    as_of: datetime | pl.Expr,
    *,
    detail: pl.Expr,
) -> None:
    """One `lead_events` row per lead, its detail a JSON object built from the lead's columns;
    `as_of` is the instant of them all, or an expression giving each lead's. The one writer
    of the lead history."""
    insert(
        con,
        "lead_events",
        leads.select(
            "lead_id",
            occurred_at=as_of if isinstance(as_of, pl.Expr) else pl.lit(as_of, UTC_US),
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


def centre_zones(con: Connection) -> pl.DataFrame:
    """sc_id, timezone of every SC."""
    return frame(con, "SELECT sc_id, timezone FROM service_centers ORDER BY sc_id")


def product_names(con: Connection) -> pl.DataFrame:
    """product, name of every product."""
    return frame(con, "SELECT product, name FROM products ORDER BY product")


# Ingestion (SPEC §5): the rows a feed adds.


def insert_leads(con: Connection, leads: pl.DataFrame) -> int:
    return insert(con, "leads", leads)


def insert_contacts(con: Connection, contacts: pl.DataFrame) -> int:
    return insert(con, "lead_contacts", contacts)


def insert_source_rows(con: Connection, rows: pl.DataFrame) -> int:
    """Which lead each external id of a source became (a repeated id is refused later)."""
    return insert(con, "source_rows", rows)


def insert_quarantine(con: Connection, rows: pl.DataFrame) -> int:
    return insert(con, "quarantine", rows.select("feed_id", "row_number", "reason_code", "detail", "raw"))


def insert_feed(con: Connection, feed: dict[str, Any]) -> int:
    """The file's row in `feeds`, its counts with it: written last, so a file is known only
    once it is whole."""
    return insert(con, "feeds", pl.DataFrame([feed]))


# Placement (SPEC §6, §7, §10): leads put at an SC.


def assignment_inputs(con: Connection, leads: pl.DataFrame, as_of: datetime) -> dict[str, pl.DataFrame]:
    """What `tasks.placement.choose_centres` decides on for these leads: their clients'
    active bookings, the SCs eligible at `as_of` and the SCs' loads."""
    return {
        "bookings": active_bookings(con, leads.select("inn", "kpp", "product"), as_of),
        "eligible": eligible_centres(con, as_of),
        "loads": sc_loads(con),
    }


def insert_bookings(con: Connection, bookings: pl.DataFrame) -> int:
    return insert(con, "bookings", bookings)


def waiting_leads(con: Connection) -> pl.DataFrame:
    return frame(con, sql("waiting_leads"))


def apply_assignment(con: Connection, placed: pl.DataFrame) -> None:
    """Waiting leads (lead_id, sc_id, arrived_at, accept_deadline) now at their SC."""
    with staged(placed=placed.select("lead_id", "sc_id", "arrived_at", "accept_deadline")) as files:
        run(con, sql("apply_assignment"), files)


def transfer_candidates(
    con: Connection, as_of: datetime, temperatures: tuple[Temperature, ...]
) -> pl.DataFrame:
    """The leads in `overdue` the transfer policy moves (SPEC §6 "Transfer", §9.1.1)."""
    return frame(
        con, sql("transfer_candidates"), {"as_of": as_of, "temperatures": [t.value for t in temperatures]}
    )


def forget_overdue(con: Connection) -> None:
    """Drop the sweep's temporary `overdue` table (see `mark_overdue`)."""
    run(con, "DROP TABLE overdue")


def apply_transfers(
    con: Connection, moved: pl.DataFrame, transfers: pl.DataFrame, *, reason: str, actor: str, as_of: datetime
) -> None:
    """Leads (lead_id, from_sc, to_sc, arrived_at, accept_deadline) start afresh at their new
    SC: their old connection bookings end, the move is kept in `lead_transfers` (`transfers`)
    and in each lead's history."""
    with staged(moved=moved.select("lead_id", "to_sc", "arrived_at", "accept_deadline")) as files:
        run(con, sql("apply_transfers"), files)
        run(con, sql("end_lead_bookings"), {"as_of": as_of, **files})
    insert(con, "lead_transfers", transfers)
    record_events(
        con,
        moved,
        EventKind.TRANSFERRED,
        actor,
        as_of,
        detail=pl.struct(
            "from_sc",
            "to_sc",
            pl.lit(reason).alias("reason"),
            pl.col("accept_deadline").dt.to_string("%Y-%m-%dT%H:%M:%S%z").alias("accept_deadline"),
        ),
    )


def stale_leads(con: Connection, as_of: datetime) -> pl.DataFrame:
    return frame(con, sql("stale_leads"), {"as_of": as_of})


def block_leads(con: Connection, stale: pl.DataFrame, as_of: datetime) -> None:
    with staged(stale=stale.select("lead_id")) as files:
        run(con, sql("block_leads"), {"as_of": as_of, **files})


def bookings_in_force(con: Connection, as_of: datetime) -> int:
    return int(
        scalar(con, "SELECT count(*) FROM bookings WHERE starts_at <= ? AND ? < ends_at", [as_of, as_of])
    )


# Billing (SPEC §4, §7): invoices, payments, paid periods.


def billing_counts(con: Connection) -> dict[str, int]:
    """Invoices, paid invoices and paid periods held: what a billing batch changed is the
    difference."""
    invoices, paid, periods = con.execute(
        "SELECT (SELECT count(*) FROM invoices), "
        "(SELECT count(*) FROM invoices WHERE paid_at IS NOT NULL), "
        "(SELECT count(*) FROM paid_periods)"
    ).fetchall()[0]
    return {"invoices": int(invoices), "paid": int(paid), "periods": int(periods)}


def apply_billing_events(con: Connection, events: pl.DataFrame) -> pl.DataFrame:
    """Invoices issued, payments, invoice bookings and paid periods of valid billing rows;
    returns the leads the payments complete (lead_id, invoice_id, paid_at, …)."""
    with staged(events=events) as files:
        run(con, sql("billing_issue_invoices"), files)
        run_script(con, sql("billing_pay_invoices"), files)
        run_script(con, sql("billing_invoice_bookings"))
        completions = frame(con, sql("billing_leads_to_complete"), files)
        run_script(con, sql("billing_periods"), files)
    return completions


def complete_leads(con: Connection, completions: pl.DataFrame) -> None:
    with staged(completions=completions) as files:
        run(con, sql("billing_complete_leads"), files)


# Single-lead actions (SPEC §3).


def lead_state(con: Connection, lead_id: int) -> dict[str, Any] | None:
    """status, lead_type, sc_id, inn, product, accept_deadline of the lead, if it exists."""
    return _first_row(
        con,
        "SELECT status, lead_type, sc_id, inn, product, accept_deadline FROM leads WHERE lead_id = ?",
        [lead_id],
    )


def invoice(con: Connection, invoice_id: str) -> dict[str, Any] | None:
    """inn, product, paid_at of the invoice, if it is known."""
    return _first_row(con, "SELECT inn, product, paid_at FROM invoices WHERE invoice_id = ?", [invoice_id])


def mark_taken(con: Connection, lead_id: int, status: str, as_of: datetime) -> None:
    run(con, "UPDATE leads SET status = ?, taken_at = ? WHERE lead_id = ?", [status, as_of, lead_id])


def mark_postponed(con: Connection, lead_id: int, status: str, until: datetime, as_of: datetime) -> None:
    run(
        con,
        "UPDATE leads SET status = ?, postponed_until = ?, taken_at = coalesce(taken_at, ?) "
        "WHERE lead_id = ?",
        [status, until, as_of, lead_id],
    )


def mark_closed(
    con: Connection, lead_id: int, status: str, as_of: datetime, invoice_id: str | None, comment: str | None
) -> None:
    """Closed on an invoice or a comment; a lead closed straight from `new` counts as taken then."""
    run(
        con,
        "UPDATE leads SET status = ?, closed_at = ?, invoice_id = ?, close_comment = ?, "
        "taken_at = CASE WHEN status = 'new' THEN coalesce(taken_at, ?) ELSE taken_at END "
        "WHERE lead_id = ?",
        [status, as_of, invoice_id, comment, as_of, lead_id],
    )


def mark_refused(con: Connection, lead_id: int, status: str, as_of: datetime, reason: str) -> None:
    run(
        con,
        "UPDATE leads SET status = ?, closed_at = ?, close_comment = ? WHERE lead_id = ?",
        [status, as_of, reason, lead_id],
    )


def record_late_take(con: Connection, lead_id: int, as_of: datetime) -> None:
    """SPEC §10: a lead leaving `new` after its deadline is a breach at that moment."""
    run(con, sql("record_late_take"), {"lead_id": lead_id, "as_of": as_of})


# Mass actions (SPEC §6.1, §6.2).


def manager_centres(con: Connection, manager_ids: list[str]) -> dict[str, str]:
    """The SC of each of the given managers that exists."""
    found = frame(
        con,
        "SELECT manager_id, sc_id FROM managers WHERE list_contains($ids, manager_id)",
        {"ids": manager_ids},
    )
    return dict(found.iter_rows())


def manager_selection(
    con: Connection, sc_id: str, *, temperature: str | None, product: str | None, lead_type: str | None
) -> pl.DataFrame:
    return frame(
        con,
        sql("manager_selection"),
        {"sc": sc_id, "temperature": temperature, "product": product, "lead_type": lead_type},
    )


def apply_managers(con: Connection, dealt: pl.DataFrame) -> None:
    with staged(dealt=dealt) as files:
        run(con, sql("apply_managers"), files)


def distribution_selection(con: Connection, sc_id: str) -> pl.DataFrame:
    return frame(con, sql("distribution_selection"), {"sc": sc_id})


def apply_plan(con: Connection, plan: pl.DataFrame) -> None:
    with staged(plan=plan) as files:
        run(con, sql("apply_plan"), files)


# Report (SPEC §12): the metric views of a period.


def report_trend(con: Connection, kind: str, first_day: date, since: date) -> pl.DataFrame:
    """SLA compliance by period from `since` to the period starting `first_day`."""
    return frame(con, sql("report_sla"), {"kind": kind, "first_day": first_day, "since": since})


def report_table(con: Connection, name: str, kind: str, first_day: date) -> pl.DataFrame:
    """The metric `report_<name>.sql` of the period."""
    return frame(con, sql(f"report_{name}"), {"kind": kind, "first_day": first_day})


def report_backlog(con: Connection, as_of: datetime) -> pl.DataFrame:
    return frame(con, sql("report_backlog"), {"as_of": as_of})


# Sanctions (SPEC §9.1, §11).


def later_measure(
    con: Connection, as_of: datetime, *, kind: str, sc_id: str | None, product: str | None, inn: str | None
) -> pl.DataFrame:
    """sanction_id, changed_at of a start or lift of the same measure after `as_of`."""
    return frame(
        con,
        sql("later_measure"),
        {"as_of": as_of, "kind": kind, "sc_id": sc_id, "product": product, "inn": inn},
    )


def same_sanction(
    con: Connection,
    as_of: datetime,
    *,
    kind: str,
    sc_id: str,
    product: str | None,
    inn: str | None,
    ends_at: datetime | None,
) -> int | None:
    """The id of the same measure in force at `as_of`, if there is one."""
    found = frame(
        con,
        sql("same_sanction"),
        {"as_of": as_of, "kind": kind, "sc_id": sc_id, "product": product, "inn": inn, "ends_at": ends_at},
    )
    return int(found["sanction_id"][0]) if found.height else None


def insert_sanction(con: Connection, sanction: dict[str, Any]) -> None:
    """One measure: sanction_id, kind, sc_id, product, inn, starts_at, ends_at, reason, created_by."""
    columns = (
        "sanction_id",
        "kind",
        "sc_id",
        "product",
        "inn",
        "starts_at",
        "ends_at",
        "reason",
        "created_by",
    )
    run(
        con,
        f"INSERT INTO sanctions ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [sanction[c] for c in columns],
    )


def centre_sells(con: Connection, sc_id: str, product: str) -> bool:
    return bool(
        scalar(
            con, "SELECT list_contains(products, ?) FROM service_centers WHERE sc_id = ?", [product, sc_id]
        )
    )


def client_open_leads(con: Connection, inn: str, product: str, to_sc: str) -> pl.DataFrame:
    return frame(con, sql("client_open_leads"), {"inn": inn, "product": product, "to_sc": to_sc})


def sanction(con: Connection, sanction_id: int) -> dict[str, Any] | None:
    """kind, sc_id, starts_at, ends_at, lifted_at of the measure, if it exists."""
    return _first_row(
        con,
        "SELECT kind, sc_id, starts_at, ends_at, lifted_at FROM sanctions WHERE sanction_id = ?",
        [sanction_id],
    )


def lift_sanction(con: Connection, sanction_id: int, as_of: datetime, by: str) -> None:
    run(
        con,
        "UPDATE sanctions SET lifted_at = ?, lifted_by = ? WHERE sanction_id = ?",
        [as_of, by, sanction_id],
    )


def sanctions_list(con: Connection, as_of: datetime, *, include_ended: bool) -> pl.DataFrame:
    return frame(con, sql("sanctions_list"), {"as_of": as_of, "all": include_ended})


def sanction_evidence(con: Connection, bounds: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Per SC, the leads due in its period bounds and their breaches (SPEC §11)."""
    with staged(bounds=bounds) as files:
        return frame(con, sql("sanction_evidence"), {"as_of": as_of, **files})


# Quarantine given back to the file's owner (`pp quarantine`).


def feed(con: Connection, feed_id: int) -> dict[str, Any] | None:
    """file_name, source, product, sc_id, rows_read, quarantined of the feed, if it exists."""
    return _first_row(
        con,
        "SELECT file_name, source, product, sc_id, rows_read, quarantined FROM feeds WHERE feed_id = ?",
        [feed_id],
    )


def quarantine_rows(con: Connection, feed_id: int) -> pl.DataFrame:
    """row_number, reason_code, raw of the rows the feed refused, in file order."""
    return frame(con, sql("quarantine_rows"), {"feed_id": feed_id})


def quarantine_summary(con: Connection, feed_id: int | None) -> pl.DataFrame:
    """feed_id, file_name, reason_code, rows: the quarantine by reason, of one feed or all."""
    return frame(con, sql("quarantine_summary"), {"feed_id": feed_id})
