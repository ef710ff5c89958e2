"""Periodic sweeps over the warehouse: SLA breaches (SPEC §10), stale leads blocked (§7)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from prefect import flow

from flows.ingest import UTC_US, connection_bookings, resolve_as_of
from flows.notify import queue_notices, send_immediate
from schemas.enums import EventKind, Temperature
from schemas.settings import load_settings
from tasks.assign import assign_service_centres, booked_centres
from tasks.calendar import add_accept_deadlines, calendar_for
from warehouse import repository as repo
from warehouse import store


@flow(name="sweep-sla")
def sweep_sla(
    temperature: Temperature | None = None,
    as_of: datetime | None = None,
    warehouse: str | None = None,
) -> dict[str, int]:
    """Record leads still `new` past their deadline, once per lead and deadline."""
    settings = load_settings(warehouse=warehouse)
    when = resolve_as_of(as_of)
    temperatures = (temperature,) if temperature else tuple(Temperature)
    with store.transaction(settings.warehouse) as con:
        store.require_schema(con, settings.warehouse)
        recorded = repo.record_breaches(con, when, temperatures)
        reassigned = assign_waiting(con, when)
    send_immediate(settings, when)  # committed: hot leads assigned or transferred are announced (§8)
    return {"breaches_recorded": recorded, "waiting_assigned": reassigned}


def assign_waiting(con: store.Connection, as_of: datetime) -> int:
    """§6 rule 4: leads that waited for an eligible SC get one when there is one now, with
    arrival, deadline, booking and history as at ingestion."""
    waiting = store.frame(con, store.sql("waiting_leads"))
    if waiting.is_empty():
        return 0
    placed = assign_service_centres(
        waiting,
        booked=booked_centres(repo.active_bookings(con, waiting.select("inn", "kpp", "product"), as_of)),
        eligible=repo.eligible_centres(con, as_of),
        loads=repo.sc_loads(con),
    ).filter(pl.col("sc_id").is_not_null())
    if placed.is_empty():
        return 0
    zones = store.frame(con, "SELECT sc_id, timezone FROM service_centers")
    overrides = store.frame(con, "SELECT day AS date, kind FROM calendar_overrides")
    placed = add_accept_deadlines(
        placed.join(zones, on="sc_id").with_columns(arrived_at=pl.lit(as_of, UTC_US)),
        calendar_for(pl.Series([as_of]), overrides),
    )
    with store.staged(placed=placed.select("lead_id", "sc_id", "arrived_at", "accept_deadline")) as files:
        store.run(con, store.sql("apply_assignment"), files)
    store.insert(
        con,
        "lead_events",
        placed.select(
            "lead_id",
            occurred_at=pl.lit(as_of, UTC_US),
            kind=pl.lit(EventKind.ASSIGNED.value),
            actor=pl.lit("sweep:sla"),
            detail=pl.struct("sc_id", pl.col("assigned_by").alias("rule")).struct.json_encode(),
        ),
    )
    store.insert(con, "bookings", connection_bookings(placed, as_of))
    queue_notices(con, placed, as_of=as_of)
    return placed.height


@flow(name="sweep-bookings")
def sweep_bookings(as_of: datetime | None = None, warehouse: str | None = None) -> dict[str, int]:
    """Block the open leads of an SC whose booking of the client x product has ended while
    another SC's is in force (§7, §3.6); the reason names both bookings. Safe to repeat."""
    settings = load_settings(warehouse=warehouse)
    when = resolve_as_of(as_of)
    with store.transaction(settings.warehouse) as con:
        store.require_schema(con, settings.warehouse)
        stale = store.frame(con, store.sql("stale_leads"), {"as_of": when})
        with store.staged(stale=stale.select("lead_id")) as files:
            store.run(con, store.sql("block_leads"), {"as_of": when, **files})
        store.insert(
            con,
            "lead_events",
            stale.select(
                "lead_id",
                occurred_at=pl.lit(when, pl.Datetime("us", "UTC")),
                kind=pl.lit(EventKind.BLOCKED.value),
                actor=pl.lit("sweep:bookings"),
                detail=pl.struct(
                    "ended_sc", pl.col("ended_at").cast(pl.String), "holder_sc", "holder_kind"
                ).struct.json_encode(),
            ),
        )
        in_force = store.scalar(
            con, "SELECT count(*) FROM bookings WHERE starts_at <= ? AND ? < ends_at", [when, when]
        )
    return {"leads_blocked": stale.height, "bookings_in_force": int(in_force)}
