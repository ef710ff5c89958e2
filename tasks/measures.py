"""Principals' measures on one lead (SPEC §14), pure: whether a lead may be assigned,
transferred or removed, and whether an SC may take it. Each refusal is one line naming the
rule; the caller reads the inputs and writes the outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from schemas.enums import Status, Temperature
from schemas.errors import PipelineError
from schemas.rules import PINNING_BOOKINGS, TRANSFERABLE
from tasks.lifecycle import TERMINAL, local_moment
from tasks.sanctions import zone_of

# A fine in roubles: up to 16 digits, and kopecks after a point or a comma (DECIMAL(18, 2)).
_FINE = re.compile(r"[0-9]{1,16}(?:[.,][0-9]{1,2})?")


@dataclass(frozen=True)
class MeasuredLead:
    """The lead a measure is about, as `warehouse/sql/measured_lead.sql` reads it."""

    lead_id: int
    status: Status
    temperature: Temperature
    sc_id: str | None
    product: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> MeasuredLead:
        return cls(
            lead_id=row["lead_id"],
            status=Status(row["status"]),
            temperature=Temperature(row["temperature"]),
            sc_id=row["sc_id"],
            product=row["product"],
        )


def _check_open(lead: MeasuredLead) -> None:
    if lead.status in TERMINAL:
        raise PipelineError(f"lead {lead.lead_id} is {lead.status}; {lead.status} leads do not change")


def check_assignable(lead: MeasuredLead) -> None:
    """§3.2: a principal assigns a lead that waits for an SC (open, at none)."""
    _check_open(lead)
    if lead.sc_id is not None:
        raise PipelineError(
            f"lead {lead.lead_id} is not waiting: it is at {lead.sc_id}; "
            "`pp lead transfer` moves it to another SC"
        )


def check_transferable(lead: MeasuredLead, to_sc: str, pins: pl.DataFrame, zones: pl.DataFrame) -> None:
    """SPEC §6 "Transfer", §14: an open lead at an SC moves, in work or not, unless it is cold
    or its client x product is booked at its SC by invoice or paid period (`pins`: kind,
    ends_at, invoice_id of those bookings in force; `zones`: sc_id, timezone)."""
    _check_open(lead)
    if lead.sc_id is None:
        raise PipelineError(
            f"lead {lead.lead_id} waits for an SC and is at none; `pp lead assign` gives it one"
        )
    if lead.sc_id == to_sc:
        raise PipelineError(f"lead {lead.lead_id} is already at {to_sc}; choose another SC")
    if lead.temperature not in TRANSFERABLE:
        movable = " and ".join(t.value for t in Temperature if t in TRANSFERABLE)
        raise PipelineError(
            f"lead {lead.lead_id} is {lead.temperature}: {lead.temperature} leads never move to "
            f"another SC (SPEC §6), only {movable} ones"
        )
    if pins.height:
        kind, ends_at, invoice_id = pins.row(0)
        booked = f"invoice {invoice_id!r}" if invoice_id else kind.replace("_", " ")
        kinds = " or ".join(k.value.replace("_", " ") for k in PINNING_BOOKINGS)
        until = local_moment(ends_at, zone_of(zones, lead.sc_id))
        raise PipelineError(
            f"lead {lead.lead_id} stays at {lead.sc_id}: its client is booked there by {booked} "
            f"until {until}, and a client booked at its SC by {kinds} does not move (SPEC §6)"
        )


def check_removable(lead: MeasuredLead) -> None:
    """§9.2: removal ends an open lead (waiting, new or in work); a closed one stays as it is."""
    _check_open(lead)


def check_may_take(sc_id: str, product: str, *, sells: bool, bars: pl.DataFrame, zone: str) -> None:
    """An SC a principal gives a lead to sells its product and is free of any measure in force
    that keeps it from new leads of it (`bars`: sanction_id, kind, ends_at; SPEC §6 rule 3, §11)."""
    if not sells:
        raise PipelineError(f"service centre {sc_id!r} does not sell {product!r}; choose one that does")
    if bars.height:
        sanction_id, kind, ends_at = bars.row(0)
        until = f"until {local_moment(ends_at, zone)}" if ends_at else "for good"
        raise PipelineError(
            f"service centre {sc_id!r} takes no new {product!r} leads: sanction {sanction_id} "
            f"({kind}) holds {until}; choose another SC or lift it with `pp sanction lift {sanction_id}`"
        )


def parse_fine(text: str) -> Decimal:
    """`--fine`: a positive amount in roubles, kopecks after a point or a comma (`1500`,
    `1500.50`, `1500,5`)."""
    given = text.strip().replace(" ", "")
    if not _FINE.fullmatch(given):
        raise PipelineError(
            f"--fine {text!r} is not an amount; give roubles, with at most two decimals, e.g. 1500 or 1500.50"
        )
    amount = Decimal(given.replace(",", "."))
    if amount <= 0:
        raise PipelineError(f"--fine {text!r} is not positive; leave --fine out when there is no fine")
    return amount
