"""Periodic sweeps over the warehouse: SLA breaches and transfers (SPEC §10, §6), stale leads
blocked (§7). Each is one transaction at an explicit `as_of`: re-running it changes nothing."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from prefect import flow

from flows.ingest import connection_bookings, resolve_as_of
from flows.notify import queue_notices, send_immediate
from flows.placement import arrive, move_leads
from schemas.enums import EventKind, Temperature, TransferReason
from schemas.settings import load_settings
from tasks.assign import assign_service_centres, booked_centres, choose_transfer_targets
from warehouse import repository as repo
from warehouse import store


@flow(name="sweep-sla")
def sweep_sla(
    temperature: Temperature | None = None,
    as_of: datetime | None = None,
    warehouse: str | None = None,
) -> dict[str, int]:
    """Record leads still `new` past their deadline, once per lead and deadline; move the
    breached ones the transfer policy allows to another SC; place leads that waited for one."""
    settings = load_settings(warehouse=warehouse)
    when = resolve_as_of(as_of)
    temperatures = (temperature,) if temperature else tuple(Temperature)
    movable = tuple(t for t in temperatures if t in settings.transfer_temperatures)
    with store.transaction(settings.warehouse, memory_limit=settings.duckdb_memory_limit) as con:
        store.require_schema(con, settings.warehouse)
        repo.mark_overdue(con, when, temperatures)
        recorded = repo.record_breaches(con, when)
        transferred, stayed = transfer_breached(con, when, movable)
        store.run(con, "DROP TABLE overdue")
        reassigned = assign_waiting(con, when)
    if transferred or reassigned:  # committed: their hot leads are announced now (§8)
        send_immediate(settings, when)
    return {
        "breaches_recorded": recorded,
        "transferred": transferred,
        "transfer_no_target": stayed,
        "waiting_assigned": reassigned,
    }


def transfer_breached(
    con: store.Connection, as_of: datetime, temperatures: tuple[Temperature, ...]
) -> tuple[int, int]:
    """§6 "Transfer", §9.1.1: overdue leads (the `overdue` table) of the given temperatures go
    to another eligible SC, never back to one they were taken from for a breach. Returns
    (moved, left with no SC)."""
    if not temperatures:
        return 0, 0
    candidates = store.frame(
        con,
        store.sql("transfer_candidates"),
        {"as_of": as_of, "temperatures": [t.value for t in temperatures]},
    )
    if candidates.is_empty():
        return 0, 0
    targets = choose_transfer_targets(candidates, repo.eligible_centres(con, as_of), repo.sc_loads(con))
    moved = move_leads(
        con,
        targets.filter(pl.col("to_sc").is_not_null()),
        as_of,
        reason=TransferReason.BREACH,
        actor="sweep:sla",
    )
    return moved.height, targets.height - moved.height


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
    placed = arrive(con, placed, as_of)
    with store.staged(placed=placed.select("lead_id", "sc_id", "arrived_at", "accept_deadline")) as files:
        store.run(con, store.sql("apply_assignment"), files)
    repo.record_events(
        con,
        placed,
        EventKind.ASSIGNED,
        "sweep:sla",
        as_of,
        detail=pl.struct("sc_id", pl.col("assigned_by").alias("rule")),
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
        repo.record_events(
            con,
            stale,
            EventKind.BLOCKED,
            "sweep:bookings",
            when,
            detail=pl.struct("ended_sc", pl.col("ended_at").cast(pl.String), "holder_sc", "holder_kind"),
        )
        in_force = store.scalar(
            con, "SELECT count(*) FROM bookings WHERE starts_at <= ? AND ? < ends_at", [when, when]
        )
    return {"leads_blocked": stale.height, "bookings_in_force": int(in_force)}
