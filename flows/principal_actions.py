"""Principals' measures on one lead (`pp lead assign | transfer | remove`, SPEC §14): immediate,
one short transaction each, no flow.

Each reads the lead, refuses a measure dated before the lead's recorded history, asks
`tasks.measures` whether the measure is allowed, then writes it with the principal as its
actor (`principal:<who>`). Assignment and transfer place the lead as every assignment does
(`tasks.placement`, `flows.moves`): arrival, deadline, booking and notice; a hot lead's notice
goes out right after the commit, as after an ingest or a sweep."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

import polars as pl

from flows.moves import move_leads
from flows.notify import send_immediate
from flows.sanctions import resolve_centre
from schemas.enums import EventKind, Status, Temperature, TransferReason, Violation
from schemas.errors import PipelineError
from schemas.settings import Settings, load_settings
from tasks.lifecycle import check_history
from tasks.measures import MeasuredLead, check_assignable, check_may_take, check_removable, check_transferable
from tasks.placement import place
from warehouse import outbox, store
from warehouse import repository as repo
from warehouse.locator import Warehouse

PRINCIPAL_RULE = "principal"  # why the lead is at its SC, in its `assigned` event (SPEC §14 "Explain")


def _actor(by: str) -> str:
    return f"principal:{by}"


@contextmanager
def _measuring(
    settings: Settings, lead_id: int, as_of: datetime
) -> Iterator[tuple[store.Connection, pl.DataFrame, MeasuredLead]]:
    """One short transaction on one lead: its row read first (as a frame, for placement) and
    its history checked to end no later than `as_of`."""
    for attempt in store.write_attempts(settings.warehouse):
        with attempt as con:
            store.require_schema(con, settings.warehouse)
            row = repo.measured_lead(con, lead_id)
            if row.is_empty():
                raise PipelineError(f"lead {lead_id} does not exist")
            check_history(repo.history_after(con, row, as_of))
            yield con, row, MeasuredLead.of(row.row(0, named=True))


def _check_takes(con: store.Connection, sc_id: str, zone: str, lead: MeasuredLead, as_of: datetime) -> None:
    """The SC may take a new lead of the product now (SPEC §6 rule 3, §11)."""
    check_may_take(
        sc_id,
        lead.product,
        sells=repo.centre_sells(con, sc_id, lead.product),
        bars=repo.centre_bars(con, sc_id, lead.product, as_of),
        zone=zone,
    )


def _announce(settings: Settings, temperature: Temperature, as_of: datetime) -> None:
    """Committed: a hot lead's SC hears of it now (SPEC §8); warm and cold wait for the digest."""
    if temperature is Temperature.HOT:
        send_immediate(settings, as_of)


def assign_lead(
    warehouse: Warehouse, lead_id: int, *, sc: str, by: str, as_of: datetime
) -> dict[str, object]:
    """§3.2: a lead waiting for an SC goes to the one a principal names; it arrives there now,
    with its deadline, connection booking and notice, as at any assignment."""
    settings = load_settings(warehouse=warehouse)
    with _measuring(settings, lead_id, as_of) as (con, row, lead):
        check_assignable(lead)
        sc_id, zone = resolve_centre(con, sc)
        _check_takes(con, sc_id, zone, lead, as_of)
        placement = place(
            row.with_columns(sc_id=pl.lit(sc_id), assigned_by=pl.lit(PRINCIPAL_RULE)),
            as_of,
            zones=repo.centre_zones(con),
            calendar=repo.working_calendar(con, as_of.year, as_of.year + 1),
            digest_hour=settings.digest_hour,
        )
        placed = placement.leads
        repo.apply_assignment(con, placed)
        repo.record_events(
            con,
            placed,
            EventKind.ASSIGNED,
            _actor(by),
            as_of,
            detail=pl.struct("sc_id", pl.col("assigned_by").alias("rule")),
        )
        repo.insert_bookings(con, placement.bookings)
        outbox.insert_notices(con, placement.notices)
        deadline = placed["accept_deadline"].item()
    _announce(settings, lead.temperature, as_of)
    return {
        "lead_id": lead_id,
        "sc_id": sc_id,
        "status": lead.status.value,
        "accept_deadline": deadline,
        "timezone": zone,
    }


def transfer_lead(
    warehouse: Warehouse, lead_id: int, *, to: str, reason: str, by: str, as_of: datetime
) -> dict[str, object]:
    """§9.1.1, §9.3: a principal moves a lead, new or in work, to another SC, where it starts
    again as `new` with a fresh deadline, unless §6's rule keeps it (cold, or its client booked
    at its SC by invoice or paid period). A deadline it had already missed at its SC is a breach
    there, recorded now (SPEC §10): its fresh deadline would hide it from the sweep."""
    if not reason.strip():
        raise PipelineError(f"lead {lead_id}: a transfer needs --reason, for the record")
    settings = load_settings(warehouse=warehouse)
    with _measuring(settings, lead_id, as_of) as (con, row, lead):
        to_sc, zone = resolve_centre(con, to)
        check_transferable(lead, to_sc, repo.lead_pins(con, lead_id, as_of), repo.centre_zones(con))
        _check_takes(con, to_sc, zone, lead, as_of)
        if lead.status is Status.NEW:
            repo.record_late_take(con, lead_id, as_of)
        move_leads(
            con,
            row.with_columns(to_sc=pl.lit(to_sc)),
            as_of,
            digest_hour=settings.digest_hour,
            reason=TransferReason.PRINCIPAL,
            actor=_actor(by),
            note=reason.strip(),
        )
        deadline = repo.measured_lead(con, lead_id)["accept_deadline"].item()
    _announce(settings, lead.temperature, as_of)
    return {
        "lead_id": lead_id,
        "from_sc": lead.sc_id,
        "sc_id": to_sc,
        "status": Status.NEW.value,
        "accept_deadline": deadline,
        "timezone": zone,
    }


def remove_lead(
    warehouse: Warehouse,
    lead_id: int,
    *,
    violation: Violation,
    fine: Decimal | None,
    by: str,
    as_of: datetime,
) -> dict[str, object]:
    """§9.2: a lead whose connection had no intent to sell (§8.2.1) or whose contacts are empty
    or fictitious (§8.2.4) ends `removed`: never deleted, out of every work and SLA count, on
    record with who, when, the clause and the fine; its connection booking ends."""
    settings = load_settings(warehouse=warehouse)
    with _measuring(settings, lead_id, as_of) as (con, _, lead):
        check_removable(lead)
        repo.remove_lead(con, lead_id, violation=violation.value, fine=fine, by=by, as_of=as_of)
        repo.record_events(
            con,
            pl.DataFrame({"lead_id": [lead_id]}, schema={"lead_id": pl.Int64}),
            EventKind.REMOVED,
            _actor(by),
            as_of,
            detail=pl.struct(
                pl.lit(violation.value).alias("violation"),
                pl.lit(None if fine is None else str(fine), pl.String).alias("fine"),
            ),
        )
    return {
        "lead_id": lead_id,
        "sc_id": lead.sc_id,
        "status": Status.REMOVED.value,
        "violation": violation.value,
        "fine": fine,
    }
