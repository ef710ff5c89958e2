"""The lead state machine (SPEC §3, §4, §6.3): which action may move a lead from which
status, and what each type needs to close, as data. Pure: the caller reads and writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import polars as pl

from schemas.enums import Contact, LeadType, Status
from schemas.errors import PipelineError


class Action(StrEnum):
    TAKE = "take"  # a recorded contact with the client (§3, §8.2.3)
    POSTPONE = "postpone"  # §6.3: a `new` lead becomes `in_work`
    STAGE = "stage"  # a step of the sale, recorded in the history
    CLOSE = "close"  # completed, under the rule of the lead's type (§4)
    REFUSE = "refuse"  # the client refused


TERMINAL: frozenset[Status] = frozenset({Status.COMPLETED, Status.REFUSED, Status.BLOCKED, Status.REMOVED})

# (status, action) -> status after it. Closing a `new` lead is further limited by its type
# (only activation, §4.1.5) and refusing one needs the contact of the refusal (SPEC §3).
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.NEW, Action.TAKE): Status.IN_WORK,
    (Status.NEW, Action.POSTPONE): Status.IN_WORK,
    (Status.IN_WORK, Action.POSTPONE): Status.IN_WORK,
    (Status.IN_WORK, Action.STAGE): Status.IN_WORK,
    (Status.NEW, Action.CLOSE): Status.COMPLETED,
    (Status.IN_WORK, Action.CLOSE): Status.COMPLETED,
    (Status.NEW, Action.REFUSE): Status.REFUSED,
    (Status.IN_WORK, Action.REFUSE): Status.REFUSED,
}


@dataclass(frozen=True)
class CloseRule:
    """What closing a lead of one type needs (SPEC §4)."""

    paid_invoice: bool
    comment: bool
    from_new: bool  # closable before any contact


CLOSE_RULES: dict[LeadType, CloseRule] = {
    LeadType.CONNECTION: CloseRule(paid_invoice=True, comment=False, from_new=False),
    LeadType.RENEWAL: CloseRule(paid_invoice=True, comment=False, from_new=False),
    LeadType.UPSELL: CloseRule(paid_invoice=True, comment=False, from_new=False),
    LeadType.SERVICE: CloseRule(paid_invoice=False, comment=True, from_new=False),
    LeadType.ACTIVATION: CloseRule(paid_invoice=False, comment=True, from_new=True),
}


def next_status(lead_id: int, current: Status, action: Action) -> Status:
    """The status an action leads to, or a one-line refusal that says why."""
    if current in TERMINAL:
        raise PipelineError(f"lead {lead_id} is {current}; {current} leads do not change")
    target = TRANSITIONS.get((current, action))
    if target is None:
        allowed = sorted({s.value for s, a in TRANSITIONS if a is action})
        raise PipelineError(
            f"lead {lead_id} is {current}; '{action}' applies to {' or '.join(allowed)} leads only"
        )
    return target


def check_close(
    lead_id: int, lead_type: LeadType, current: Status, *, invoice_id: str | None, comment: str | None
) -> Status:
    """§4: connection, renewal and upsell close on a paid invoice; service with a comment;
    activation with a comment at any moment. The invoice itself is checked by the caller."""
    target = next_status(lead_id, current, Action.CLOSE)
    rule = CLOSE_RULES[lead_type]
    if current is Status.NEW and not rule.from_new:
        raise PipelineError(
            f"lead {lead_id} is new; a {lead_type} lead is closed after contact (take it first)"
        )
    if rule.paid_invoice and not invoice_id:
        raise PipelineError(
            f"lead {lead_id} is a {lead_type} lead; closing it needs --invoice, a paid invoice"
        )
    if not rule.paid_invoice and invoice_id:
        raise PipelineError(f"lead {lead_id} is a {lead_type} lead; it closes without an invoice")
    if rule.comment and not (comment and comment.strip()):
        raise PipelineError(f"lead {lead_id} is a {lead_type} lead; closing it needs --comment")
    return target


def check_refuse(lead_id: int, current: Status, *, contact: Contact | None, reason: str) -> Status:
    """A refusal records why; from `new` it also records the contact in which the client
    refused (SPEC §3 decision: no status change without contact)."""
    target = next_status(lead_id, current, Action.REFUSE)
    if not reason.strip():
        raise PipelineError(f"lead {lead_id}: a refusal needs --reason")
    if current is Status.NEW and contact is None:
        raise PipelineError(
            f"lead {lead_id} is new; refusing it needs --contact: the call or meeting of the refusal"
        )
    return target


def local_moment(at: datetime, zone: str) -> str:
    """An instant as the SC reads it, e.g. `2026-03-06 14:05 +05:00 (Asia/Yekaterinburg)`."""
    local = at.astimezone(ZoneInfo(zone))
    clock = "%H:%M:%S" if local.second or local.microsecond else "%H:%M"
    return f"{local.strftime(f'%Y-%m-%d {clock}')} {local.isoformat()[-6:]} ({zone})"


def check_history(later: pl.DataFrame) -> None:
    """History is appended, never rewritten: an action dated before the last recorded event
    of a lead it touches (a transition, a breach detected) is refused, naming the latest one.
    `later` (lead_id, last_event_at, timezone; latest first) are the leads whose history goes
    past the action's time."""
    if later.is_empty():
        return
    lead_id, last_event_at, zone = later.row(0)
    others = later.height - 1
    also = f", and {others} more of the leads have events after that time" if others else ""
    raise PipelineError(
        f"lead {lead_id}'s last event is at {local_moment(last_event_at, zone)}{also}; "
        f"an action cannot be dated before {'them' if others else 'it'}"
    )
