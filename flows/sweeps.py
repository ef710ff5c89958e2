"""Periodic sweeps over the warehouse: SLA breaches and transfers (SPEC §10, §6), stale leads
blocked (§7). Each is one transaction at an explicit `as_of`: re-running it changes nothing."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from prefect import flow

from flows.notify import send_immediate
from schemas.enums import EventKind, Temperature, TransferReason
from schemas.instants import resolve_as_of
from schemas.settings import load_settings
from tasks.assign import choose_transfer_targets
from tasks.placement import choose_centres, place, transfer
from warehouse import outbox, store
from warehouse import repository as repo


@flow(name="sweep-sla", timeout_seconds=1800)
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
        transferred, stayed = transfer_breached(con, when, movable, digest_hour=settings.digest_hour)
        repo.forget_overdue(con)
        reassigned = assign_waiting(con, when, digest_hour=settings.digest_hour)
    if transferred or reassigned:  # committed: their hot leads are announced now (§8)
        send_immediate(settings, when)
    return {
        "breaches_recorded": recorded,
        "transferred": transferred,
        "transfer_no_target": stayed,
        "waiting_assigned": reassigned,
    }


def transfer_breached(
    con: store.Connection, as_of: datetime, temperatures: tuple[Temperature, ...], *, digest_hour: int
) -> tuple[int, int]:
    """§6 "Transfer", §9.1.1: overdue leads (the `overdue` table) of the given temperatures go
    to another eligible SC, never back to one they were taken from for a breach. Returns
    (moved, left with no SC)."""
    if not temperatures:
        return 0, 0
    candidates = repo.transfer_candidates(con, as_of, temperatures)
    if candidates.is_empty():
        return 0, 0
    targets = choose_transfer_targets(candidates, repo.eligible_centres(con, as_of), repo.sc_loads(con))
    moved = targets.filter(pl.col("to_sc").is_not_null())
    if moved.height:
        placement, transfers = transfer(
            moved,
            as_of,
            zones=repo.centre_zones(con),
            calendar=repo.working_calendar(con, as_of.year, as_of.year + 1),
            digest_hour=digest_hour,
            reason=TransferReason.BREACH,
        )
        repo.apply_transfers(
            con,
            placement.leads,
            transfers,
            reason=TransferReason.BREACH.value,
            actor="sweep:sla",
            as_of=as_of,
        )
        repo.insert_bookings(con, placement.bookings)
        outbox.insert_notices(con, placement.notices)
    return moved.height, targets.height - moved.height


def assign_waiting(con: store.Connection, as_of: datetime, *, digest_hour: int) -> int:
    """§6 rule 4: leads that waited for an eligible SC get one when there is one now, with
    arrival, deadline, booking and history as at ingestion."""
    waiting = repo.waiting_leads(con)
    if waiting.is_empty():
        return 0
    assigned = choose_centres(waiting, **repo.assignment_inputs(con, waiting, as_of)).filter(
        pl.col("sc_id").is_not_null()
    )
    if assigned.is_empty():
        return 0
    placement = place(
        assigned,
        as_of,
        zones=repo.centre_zones(con),
        calendar=repo.working_calendar(con, as_of.year, as_of.year + 1),  # the one `pp init` stored
        digest_hour=digest_hour,
    )
    placed = placement.leads
    repo.apply_assignment(con, placed)
    repo.record_events(
        con,
        placed,
        EventKind.ASSIGNED,
        "sweep:sla",
        as_of,
        detail=pl.struct("sc_id", pl.col("assigned_by").alias("rule")),
    )
    repo.insert_bookings(con, placement.bookings)
    outbox.insert_notices(con, placement.notices)
    return placed.height


@flow(name="sweep-bookings", timeout_seconds=1800)
def sweep_bookings(as_of: datetime | None = None, warehouse: str | None = None) -> dict[str, int]:
    """Block the open leads of an SC whose booking of the client x product has ended while
    another SC's is in force (§7, §3.6); the reason names both bookings. Safe to repeat."""
    settings = load_settings(warehouse=warehouse)
    when = resolve_as_of(as_of)
    with store.transaction(settings.warehouse) as con:
        store.require_schema(con, settings.warehouse)
        stale = repo.stale_leads(con, when)
        repo.block_leads(con, stale, when)
        repo.record_events(
            con,
            stale,
            EventKind.BLOCKED,
            "sweep:bookings",
            when,
            detail=pl.struct("ended_sc", pl.col("ended_at").cast(pl.String), "holder_sc", "holder_kind"),
        )
        in_force = repo.bookings_in_force(con, when)
    return {"leads_blocked": stale.height, "bookings_in_force": in_force}
