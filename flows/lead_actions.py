"""Single-lead actions (`pp lead …`): immediate, one short transaction each, no flow.

Each reads the lead, refuses an action dated before the lead's recorded history, asks the
state machine (`tasks.lifecycle`) whether the action is allowed, then writes the new state and
one `lead_events` row with its actor and time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from schemas.enums import Contact, EventKind, LeadType, Stage, Status
from schemas.errors import PipelineError
from tasks.lifecycle import Action, check_close, check_history, check_refuse, next_status
from warehouse import repository as repo
from warehouse import store


@dataclass(frozen=True)
class LeadState:
    lead_id: int
    status: Status
    lead_type: LeadType
    sc_id: str | None
    inn: str | None
    product: str
    accept_deadline: datetime | None


def _read(con: store.Connection, lead_id: int) -> LeadState:
    found = repo.lead_state(con, lead_id)
    if found is None:
        raise PipelineError(f"lead {lead_id} does not exist")
    if found["sc_id"] is None:
        raise PipelineError(f"lead {lead_id} is not assigned to a service centre yet")
    return LeadState(
        lead_id,
        Status(found["status"]),
        LeadType(found["lead_type"]),
        found["sc_id"],
        found["inn"],
        found["product"],
        found["accept_deadline"],
    )


@contextmanager
def _acting_on(
    warehouse: Path, lead_id: int, as_of: datetime
) -> Iterator[tuple[store.Connection, LeadState]]:
    """One short transaction on one lead, its current state read first and its history
    checked to end no later than `as_of`."""
    with store.transaction(warehouse) as con:
        store.require_schema(con, warehouse)
        lead = _read(con, lead_id)
        check_history(repo.history_after(con, pl.DataFrame({"lead_id": [lead_id]}), as_of))
        yield con, lead


def _record(
    con: store.Connection, lead: LeadState, kind: EventKind, as_of: datetime, detail: dict[str, str | None]
) -> None:
    repo.record_events(
        con,
        pl.DataFrame({"lead_id": [lead.lead_id]}, schema={"lead_id": pl.Int64}),
        kind,
        f"sc:{lead.sc_id}",
        as_of,
        detail=pl.struct([pl.lit(value, pl.String).alias(key) for key, value in detail.items()]),
    )


def _result(con: store.Connection, lead: LeadState, status: Status, as_of: datetime) -> dict[str, object]:
    """Where the action left the lead. Leaving `new` after the deadline is a breach at that
    moment (SPEC §10): it is recorded, and the result says so."""
    late = False
    if lead.status is Status.NEW:
        repo.record_late_take(con, lead.lead_id, as_of)
        late = lead.accept_deadline is not None and as_of > lead.accept_deadline
    return {"lead_id": lead.lead_id, "status": status.value, "late": late}


def take_lead(
    warehouse: Path, lead_id: int, *, contact: Contact, note: str | None, as_of: datetime
) -> dict[str, object]:
    """`new → in_work` with the contact that justifies it (SPEC §3, §8.2.3)."""
    with _acting_on(warehouse, lead_id, as_of) as (con, lead):
        target = next_status(lead_id, lead.status, Action.TAKE)
        repo.mark_taken(con, lead_id, target.value, as_of)
        _record(con, lead, EventKind.TAKEN, as_of, {"contact": contact.value, "note": note})
        return _result(con, lead, target, as_of)


def postpone_lead(warehouse: Path, lead_id: int, *, until: datetime, as_of: datetime) -> dict[str, object]:
    """§6.3: postpone to a future instant; a `new` lead becomes `in_work` by it."""
    if until <= as_of:
        raise PipelineError(
            f"--until {until.isoformat()} is not after {as_of.isoformat()}; postpone to the future"
        )
    with _acting_on(warehouse, lead_id, as_of) as (con, lead):
        target = next_status(lead_id, lead.status, Action.POSTPONE)
        repo.mark_postponed(con, lead_id, target.value, until, as_of)
        _record(con, lead, EventKind.POSTPONED, as_of, {"until": until.isoformat()})
        return _result(con, lead, target, as_of)


def stage_lead(
    warehouse: Path, lead_id: int, *, stage: Stage, note: str | None, as_of: datetime
) -> dict[str, object]:
    """A step of the sale on a lead in work, kept in its history."""
    with _acting_on(warehouse, lead_id, as_of) as (con, lead):
        target = next_status(lead_id, lead.status, Action.STAGE)
        _record(con, lead, EventKind.STAGE, as_of, {"stage": stage.value, "note": note})
        return _result(con, lead, target, as_of)


def _check_invoice(con: store.Connection, lead: LeadState, invoice_id: str) -> None:
    found = repo.invoice(con, invoice_id)
    if found is None:
        raise PipelineError(f"invoice {invoice_id!r} is not in the warehouse; load it with `pp billing`")
    if (found["inn"], found["product"]) != (lead.inn, lead.product):
        raise PipelineError(
            f"invoice {invoice_id!r} is for another client or product than lead {lead.lead_id}"
        )
    if found["paid_at"] is None:
        raise PipelineError(f"invoice {invoice_id!r} is not paid yet; a lead closes on a paid invoice")


def close_lead(
    warehouse: Path, lead_id: int, *, invoice_id: str | None, comment: str | None, as_of: datetime
) -> dict[str, object]:
    """`completed` under §4's rule for the lead's type."""
    with _acting_on(warehouse, lead_id, as_of) as (con, lead):
        target = check_close(lead_id, lead.lead_type, lead.status, invoice_id=invoice_id, comment=comment)
        if invoice_id:
            _check_invoice(con, lead, invoice_id)
        repo.mark_closed(con, lead_id, target.value, as_of, invoice_id, comment)
        _record(con, lead, EventKind.CLOSED, as_of, {"invoice_id": invoice_id, "comment": comment})
        return _result(con, lead, target, as_of)


def refuse_lead(
    warehouse: Path, lead_id: int, *, reason: str, contact: Contact | None, as_of: datetime
) -> dict[str, object]:
    """`refused`, with the reason; from `new`, with the contact in which the client refused."""
    with _acting_on(warehouse, lead_id, as_of) as (con, lead):
        target = check_refuse(lead_id, lead.status, contact=contact, reason=reason)
        repo.mark_refused(con, lead_id, target.value, as_of, reason)
        _record(
            con,
            lead,
            EventKind.REFUSED,
            as_of,
            {"reason": reason, "contact": contact.value if contact else None},
        )
        return _result(con, lead, target, as_of)
