"""Putting existing leads at an SC after ingestion: a waiting lead finally assigned (§6 rule 4),
a lead transferred after a breach (§6 "Transfer", §9.1.1) or with its client (§9.1.4).

Each starts the lead's clock afresh at its SC (SPEC §10) and writes the same history: the
lead's row, a `lead_events` row, for a connection lead its booking (§7), and the notice to
the SC (§8)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from flows.ingest import UTC_US, connection_bookings
from flows.notify import queue_notices
from schemas.enums import EventKind, NoticeCause, TransferReason
from tasks.calendar import add_accept_deadlines
from warehouse import repository as repo
from warehouse import store


def arrive(
    con: store.Connection, leads: pl.DataFrame, as_of: datetime, sc_column: str = "sc_id"
) -> pl.DataFrame:
    """Add `arrived_at` = as_of and the deadline at the SC in `sc_column`, in its zone."""
    zones = store.frame(con, "SELECT sc_id, timezone FROM service_centers")
    at_centre = leads.join(zones.rename({"sc_id": sc_column}), on=sc_column).with_columns(
        arrived_at=pl.lit(as_of, UTC_US)
    )
    calendar = repo.working_calendar(con, as_of.year, as_of.year + 1)  # the one `pp init` stored
    return add_accept_deadlines(at_centre, calendar).drop("timezone")


def move_leads(
    con: store.Connection,
    moved: pl.DataFrame,
    as_of: datetime,
    *,
    reason: TransferReason,
    actor: str,
    sanction_id: int | None = None,
) -> pl.DataFrame:
    """Move leads (lead_id, from_sc, to_sc, lead_type, temperature, inn, kpp, product,
    accept_deadline) to `to_sc` at `as_of`; returns them with their new arrival and deadline.
    The old deadline is kept in `lead_transfers` as the one missed, for a breach."""
    if moved.is_empty():
        return moved
    arrived = arrive(con, moved.rename({"accept_deadline": "missed_deadline"}), as_of, sc_column="to_sc")
    with store.staged(moved=arrived.select("lead_id", "to_sc", "arrived_at", "accept_deadline")) as files:
        store.run(con, store.sql("apply_transfers"), files)
        store.run(con, store.sql("end_lead_bookings"), {"as_of": as_of, **files})
    store.insert(
        con,
        "lead_transfers",
        arrived.select(
            "lead_id",
            "from_sc",
            "to_sc",
            transferred_at=pl.lit(as_of, UTC_US),
            reason=pl.lit(reason.value),
            missed_deadline=pl.col("missed_deadline")
            if reason is TransferReason.BREACH
            else pl.lit(None, UTC_US),
            sanction_id=pl.lit(sanction_id, pl.Int64),
        ),
    )
    repo.record_events(
        con,
        arrived,
        EventKind.TRANSFERRED,
        actor,
        as_of,
        detail=pl.struct(
            "from_sc",
            "to_sc",
            pl.lit(reason.value).alias("reason"),
            pl.col("accept_deadline").dt.to_string("%Y-%m-%dT%H:%M:%S%z").alias("accept_deadline"),
        ),
    )
    store.insert(con, "bookings", connection_bookings(arrived.rename({"to_sc": "sc_id"}), as_of))
    # §6: a transfer is an assignment for notification purposes (§8), told in this transaction
    queue_notices(con, arrived.select("lead_id", sc_id="to_sc"), as_of=as_of, cause=NoticeCause.TRANSFERRED)
    return arrived
