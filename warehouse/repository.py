"""Named queries and writes of the pipeline: each binds its parameters and returns frames."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl

from schemas.enums import DeliveryStatus, EventKind, Status, Temperature
from schemas.instants import UTC_US
from schemas.rules import DATA, SLA_TERMS
from warehouse import history
from warehouse.store import Connection, claim_writes, frame, insert, run, run_script, scalar, sql, staged

REFERENCE_TABLES = ("service_centers", "managers", "products")


def _first_row(con: Connection, query: str, params: list[Any]) -> dict[str, Any] | None:
    """The first row a lookup finds, by column name, or None when it finds none."""
    found = frame(con, query, params)
    return found.row(0, named=True) if found.height else None


def next_id(con: Connection, table: str, column: str) -> int:
    """The next free id of a table, under the table's write claim (`store.CLAIMS`): a writer
    that takes ids at the same time on a lake conflicts and takes them again after this one."""
    claim_writes(con, table)
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
    """Leads still `new` whose working-time deadline falls in an unconfirmed calendar year;
    none to look for when every recorded year is confirmed."""
    first_year = scalar(con, "SELECT min(year) FROM calendar_years WHERE NOT confirmed")
    if first_year is None:
        return 0
    working_time = [t.value for t, term in SLA_TERMS.items() if term.working_minutes is not None]
    params = {
        "new": Status.NEW.value,
        "temperatures": working_time,
        "feed_id": feed_id,
        # a day before 1 January UTC: no zone is that far ahead of UTC
        "unconfirmed_from": datetime(int(first_year), 1, 1, tzinfo=UTC) - timedelta(days=1),
    }
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


def centre_offers(con: Connection, as_of: datetime) -> pl.DataFrame:
    """region, product, sc_id, capacity, excluded: what each SC offers, and whether a
    sanction keeps it from taking leads of it at `as_of` (SPEC §6 rule 3, §11)."""
    return frame(con, sql("centre_offers"), {"as_of": as_of})


def eligible_centres(con: Connection, as_of: datetime) -> pl.DataFrame:
    """region, product, sc_id, capacity of the SCs that may take a lead at `as_of`."""
    return centre_offers(con, as_of).filter(~pl.col("excluded")).drop("excluded")


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
    temperature). Claimed: two sweeps at once on a lake would both see a breach as new."""
    claim_writes(con, "sla_breaches")
    run_script(con, sql("record_breaches"), {"as_of": as_of})
    return frame(con, "SELECT sc_id, temperature FROM new_breaches")


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
    of the lead history, with `warehouse.history`."""
    if leads.is_empty():
        return
    rows = leads.select(
        "lead_id",
        occurred_at=as_of if isinstance(as_of, pl.Expr) else pl.lit(as_of, UTC_US),
        kind=pl.lit(kind.value),
        actor=pl.lit(actor),
        detail=detail.struct.json_encode(),
    )
    with staged(events=rows) as files:
        history.append(con, "read_parquet($events)", files)


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


def insert_created_leads(
    con: Connection, created: pl.DataFrame, *, feed_id: int, as_of: datetime, actor: str
) -> None:
    """A feed's new leads with their `created` and `assigned` events (the JSON `detail` of each
    in `created_detail` and `assigned_detail`, empty for a lead without an SC), connection
    bookings and notices: one staged frame (`tasks.placement.placed_with_bookings_and_notices`),
    which every insert reads the columns it needs from (`insert_created_leads.sql`)."""
    with staged(created=created) as files:
        run_script(
            con,
            sql("insert_created_leads"),
            {"as_of": as_of, "feed_id": feed_id, "new": Status.NEW.value, **files},
        )
        for kind, detail in ((EventKind.CREATED, "created_detail"), (EventKind.ASSIGNED, "assigned_detail")):
            history.append(
                con,
                f"(SELECT lead_id, $as_of AS occurred_at, $kind AS kind, $actor AS actor, {detail} AS detail"
                f" FROM read_parquet($created) WHERE {detail} IS NOT NULL)",
                {"as_of": as_of, "kind": kind.value, "actor": actor, **files},
            )


def insert_contacts(con: Connection, contacts: pl.DataFrame) -> int:
    return insert(con, "lead_contacts", contacts)


def insert_source_rows(con: Connection, rows: pl.DataFrame) -> int:
    """Which lead the external id of a row that went into a lead belongs to (a repeated id is
    refused later); the id of the row that created a lead is on the lead itself."""
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
    active bookings, what the SCs offer at `as_of` (the eligible ones and the excluded) and
    the SCs' loads."""
    return {
        "bookings": active_bookings(con, leads.select("inn", "kpp", "product"), as_of),
        "offers": centre_offers(con, as_of),
        "loads": sc_loads(con),
    }


def insert_bookings(con: Connection, bookings: pl.DataFrame) -> int:
    return insert(con, "bookings", bookings)


def waiting_leads(con: Connection) -> pl.DataFrame:
    return frame(con, sql("waiting_leads"))


def update_waiting_reasons(con: Connection, waiting: pl.DataFrame, as_of: datetime) -> None:
    """Leads (lead_id, waiting_reason) still without an SC at `as_of`, and why (SPEC §15)."""
    with staged(waiting=waiting.select("lead_id", "waiting_reason")) as files:
        run(con, sql("update_waiting_reasons"), {"as_of": as_of, **files})


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
    con: Connection,
    moved: pl.DataFrame,
    transfers: pl.DataFrame,
    *,
    reason: str,
    actor: str,
    as_of: datetime,
    note: str | None = None,
) -> None:
    """Leads (lead_id, from_sc, to_sc, arrived_at, accept_deadline) start afresh at their new
    SC: their old connection bookings end, the move is kept in `lead_transfers` (`transfers`)
    and in each lead's history, with the `note` a principal gave."""
    with staged(moved=moved.select("lead_id", "to_sc", "arrived_at", "accept_deadline")) as files:
        run_script(con, sql("apply_transfers"), files)
        run_script(con, sql("end_lead_bookings"), {"as_of": as_of, **files})
    insert(con, "lead_transfers", transfers)
    noted = [] if note is None else [pl.lit(note, pl.String).alias("note")]
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
            *noted,
        ),
    )


def stale_leads(con: Connection, as_of: datetime) -> pl.DataFrame:
    return frame(con, sql("stale_leads"), {"as_of": as_of})


def block_leads(con: Connection, stale: pl.DataFrame, as_of: datetime) -> None:
    with staged(stale=stale.select("lead_id")) as files:
        run_script(con, sql("block_leads"), {"as_of": as_of, **files})


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


# Report (SPEC §12): the stays of the report's periods at its as-of, and the messages to SCs.


def report_stays(con: Connection, kind: str, since: date, first_day: date, as_of: datetime) -> pl.DataFrame:
    """Every stay the report counts, as it stood at `as_of` (`report_stays.sql`)."""
    params = {
        "kind": kind,
        "since": since,
        "first_day": first_day,
        "as_of": as_of,
        "assigned": EventKind.ASSIGNED.value,
        "transferred": EventKind.TRANSFERRED.value,
        "new": Status.NEW.value,
        "in_work": Status.IN_WORK.value,
    }
    return frame(con, sql("report_stays"), params)


def report_notifications(con: Connection, kind: str, first_day: date, as_of: datetime) -> pl.DataFrame:
    """Messages to SCs in the period, as they stood at `as_of`."""
    states = {state.value: state.value for state in DeliveryStatus}
    params = {"kind": kind, "first_day": first_day, "as_of": as_of, **states}
    return frame(con, sql("report_notifications"), params)


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


# Explanations (SPEC §14 "Explain", §15): why a lead waits, where it is and why, what is due.


def waiting_list(con: Connection) -> pl.DataFrame:
    """Open leads without an SC: lead_id, product, region, temperature, created_at,
    waiting_reason, waiting_checked_at; oldest first."""
    return frame(con, sql("waiting_list"))


def leads_due(
    con: Connection, as_of: datetime, *, sc_id: str | None = None, within_minutes: int | None = None
) -> pl.DataFrame:
    """SPEC §15: open `new` leads at an SC by the time left to their deadline at `as_of`
    (`minutes_left`: working minutes where `working_time`, else calendar minutes; negative
    once `overdue`), overdue first: lead_id, sc_id, sc_name, timezone, temperature, product,
    lead_type, manager_id, manager_name, arrived_at, accept_deadline, working_time, overdue,
    minutes_left. Narrowed to one SC, and to at most `within_minutes` left, when given."""
    working_time = [t.value for t, term in SLA_TERMS.items() if term.working_minutes is not None]
    params = {
        "as_of": as_of,
        "new": Status.NEW.value,
        "working_time": working_time,
        "sc": sc_id,
        "within_minutes": within_minutes,
    }
    return frame(con, sql("leads_due"), params)


def lead_card(con: Connection, lead_id: int, as_of: datetime) -> dict[str, pl.DataFrame] | None:
    """Everything `pp lead show` prints of a lead, or None when there is no such lead: `lead`
    (its row, sc_name, timezone, manager_name), `contacts`, `events` (its history, in the
    order written), `breaches`, and `bookings` of its client x product (in force at `as_of`)."""
    params = {"lead_id": lead_id}
    lead = frame(con, sql("lead_card"), params)
    if lead.is_empty():
        return None
    return {
        "lead": lead,
        "contacts": frame(
            con, "SELECT kind, value FROM lead_contacts WHERE lead_id = $lead_id ORDER BY kind, value", params
        ),
        "events": frame(
            con,
            "SELECT occurred_at, kind, actor, detail FROM lead_events WHERE lead_id = $lead_id"
            " ORDER BY occurred_at, rowid",
            params,
        ),
        "breaches": frame(
            con,
            "SELECT sc_id, temperature, accept_deadline, detected_at, late_minutes FROM sla_breaches"
            " WHERE lead_id = $lead_id ORDER BY detected_at",
            params,
        ),
        "bookings": frame(con, sql("lead_bookings"), {"as_of": as_of, **params}),
    }


# Principals' measures on one lead (SPEC §14).


def measured_lead(con: Connection, lead_id: int) -> pl.DataFrame:
    """The lead (one row, or none) in the columns placement and moves take, with its status."""
    return frame(con, sql("measured_lead"), {"lead_id": lead_id})


def centre_bars(con: Connection, sc_id: str, product: str, as_of: datetime) -> pl.DataFrame:
    """sanction_id, kind, ends_at of the measures in force that keep the SC from new leads of
    the product."""
    return frame(con, sql("centre_bars"), {"sc_id": sc_id, "product": product, "as_of": as_of})


def lead_pins(con: Connection, lead_id: int, as_of: datetime) -> pl.DataFrame:
    """kind, ends_at, invoice_id of the invoice and paid-period bookings that hold the lead's
    client x product at its SC."""
    return frame(con, sql("lead_pins"), {"lead_id": lead_id, "as_of": as_of})


def record_late_take(con: Connection, lead_id: int, as_of: datetime) -> None:
    """SPEC §10: one lead leaving `new` at `as_of` after its deadline is a breach then (the
    rule of every activity apply, for a principal's move)."""
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE activity_state AS "
        "SELECT CAST($lead_id AS BIGINT) AS lead_id, CAST($as_of AS TIMESTAMPTZ) AS left_new_at",
        {"lead_id": lead_id, "as_of": as_of},
    )
    run(con, sql("record_late_take"))
    run(con, "DROP TABLE activity_state")


def remove_lead(
    con: Connection, lead_id: int, *, violation: str, fine: Decimal | None, by: str, as_of: datetime
) -> None:
    """SPEC §14 (§9.2): the lead ends `removed`, on record in `lead_removals`; its connection
    booking ends with it."""
    run_script(
        con,
        sql("remove_lead"),
        {
            "lead_id": lead_id,
            "status": Status.REMOVED.value,
            "violation": violation,
            "fine": fine,
            "by": by,
            "as_of": as_of,
        },
    )
    with staged(moved=pl.DataFrame({"lead_id": [lead_id]}, schema={"lead_id": pl.Int64})) as files:
        run_script(con, sql("end_lead_bookings"), {"as_of": as_of, **files})


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
