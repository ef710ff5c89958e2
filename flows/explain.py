"""What `pp leads waiting`, `pp leads due` and `pp lead show` read: read-only, at once, no
flow (SPEC §14 "Explain", §15). Each reads the warehouse in one short read-only connection
and leaves the wording to `tasks.assign` and `tasks.explain`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from schemas.enums import EventKind
from schemas.errors import PipelineError
from tasks.assign import waiting_sentence
from tasks.codes import code_lookup, resolve_code
from tasks.explain import placement_reason, stays, time_left, with_local_moments
from warehouse import repository as repo
from warehouse import store
from warehouse.locator import Warehouse

NO_ZONE = "UTC"  # the clock of a lead that has no SC yet

CARD_DATES = ("created_at", "arrived_at", "accept_deadline", "taken_at", "postponed_until", "closed_at")


def waiting_leads(warehouse: Warehouse) -> pl.DataFrame:
    """Open leads without an SC and why: lead_id, product, region, temperature, created_at,
    waiting_reason, reason (the sentence), waiting_checked_at."""
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        waiting = repo.waiting_list(con)
    return waiting.select(
        "lead_id",
        "product",
        "region",
        "temperature",
        "created_at",
        "waiting_reason",
        waiting_sentence(),
        "waiting_checked_at",
    )


def leads_due(
    warehouse: Warehouse, as_of: datetime, *, sc_id: str | None, within_minutes: int | None
) -> pl.DataFrame:
    """SPEC §15: the open `new` leads by time left to their deadline (`repo.leads_due`), with
    the deadline on the SC's clock (`accept_deadline_local`), the time left in words and the
    manager (id and name)."""
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        if sc_id is not None:
            given, sc_id = sc_id, resolve_code(sc_id, code_lookup(repo.centre_zones(con)["sc_id"]))
            if sc_id is None:
                raise PipelineError(f"unknown service centre {given!r}; see the service_centers table")
        due = repo.leads_due(con, as_of, sc_id=sc_id, within_minutes=within_minutes)
    return with_local_moments(due, ["accept_deadline"]).with_columns(
        time_left=time_left(),
        manager=pl.concat_str("manager_id", "manager_name", separator=" ", ignore_nulls=True),
    )


@dataclass(frozen=True)
class LeadCard:
    """One lead as `pp lead show` prints it; instants also on its SC's clock (`*_local`)."""

    lead: dict[str, object]
    why: str  # why it is at its SC, or why it waits for one
    contacts: pl.DataFrame
    stays: pl.DataFrame  # the SCs it was put at, in order, with the deadline each set
    history: pl.DataFrame
    breaches: pl.DataFrame
    bookings: pl.DataFrame


def lead_card(warehouse: Warehouse, lead_id: int, as_of: datetime) -> LeadCard:
    """The card of a lead: its fields, contacts, every date in its SC's zone, why it is where
    it is (as the event that put it there recorded it), its stays, history, breaches and its
    client's bookings of the product."""
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        found = repo.lead_card(con, lead_id, as_of)
        centres = repo.reference_frames(con)["service_centers"]
    if found is None:
        raise PipelineError(f"lead {lead_id} does not exist")
    zone = found["lead"]["timezone"][0] or NO_ZONE
    lead = with_local_moments(found["lead"].with_columns(timezone=pl.lit(zone)), CARD_DATES)
    events = found["events"]
    history = with_local_moments(events.with_columns(timezone=pl.lit(zone)), ["occurred_at"])
    card = lead.row(0, named=True)
    visited = stays(events, centres, card["accept_deadline"] if card["sc_id"] else None)
    return LeadCard(
        lead=card,
        why=_why(lead, events),
        contacts=found["contacts"],
        stays=with_local_moments(visited, ["arrived_at", "accept_deadline"]),
        history=history.select("occurred_at", "occurred_at_local", "kind", "actor", "detail"),
        breaches=with_local_moments(
            found["breaches"].with_columns(timezone=pl.lit(zone)), ["accept_deadline"]
        ),
        bookings=found["bookings"],
    )


def _why(lead: pl.DataFrame, events: pl.DataFrame) -> str:
    """Why the lead is at its SC: the reason the last `assigned` or `transferred` event
    stored; for a lead without an SC, why it waits."""
    if lead["sc_id"][0] is None:
        return f"waiting for an SC: {lead.select(waiting_sentence()).item()}"
    placing = events.filter(pl.col("kind").is_in([EventKind.ASSIGNED.value, EventKind.TRANSFERRED.value]))
    if placing.is_empty():
        return "no assignment recorded"
    kind, detail = placing.select("kind", "detail").row(-1)
    return placement_reason(kind, json.loads(detail))
