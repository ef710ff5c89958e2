"""The lead state machine (SPEC §3, §4, §6.3, §13): which action may move a lead from which
status, and what each type needs to close, as data. Pure: `warehouse/sql/activity_*.sql`
binds these tables and decides every action, one `pp lead …` or a whole activity file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from schemas.enums import Contact, EventKind, LeadType, Stage, Status
from schemas.errors import PipelineError

if TYPE_CHECKING:  # the single-lead commands load neither polars nor pyarrow
    import polars as pl


class Action(StrEnum):
    TAKE = "take"  # a recorded contact with the client (§3, §8.2.3)
    POSTPONE = "postpone"  # §6.3: a `new` lead becomes `in_work`
    STAGE = "stage"  # a step of the sale, recorded in the history
    CLOSE = "close"  # completed, under the rule of the lead's type (§4)
    REFUSE = "refuse"  # the client refused
    ASSIGN_MANAGER = "assign_manager"  # §6.1: one of the SC's managers works the lead


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
    (Status.NEW, Action.ASSIGN_MANAGER): Status.NEW,
    (Status.IN_WORK, Action.ASSIGN_MANAGER): Status.IN_WORK,
}

# The history row each action leaves.
EVENT_KINDS: dict[Action, EventKind] = {
    Action.TAKE: EventKind.TAKEN,
    Action.POSTPONE: EventKind.POSTPONED,
    Action.STAGE: EventKind.STAGE,
    Action.CLOSE: EventKind.CLOSED,
    Action.REFUSE: EventKind.REFUSED,
    Action.ASSIGN_MANAGER: EventKind.MANAGER_ASSIGNED,
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


def rule_columns() -> dict[str, list[str] | list[bool]]:
    """The tables above as columns of plain values, and the contacts and stages an action may
    name: the parameters the activity SQL binds into its rule tables, holding no copy."""
    moves = sorted(TRANSITIONS.items())
    rules = sorted(CLOSE_RULES.items())
    return {
        "transition_status": [status.value for (status, _), _ in moves],
        "transition_action": [action.value for (_, action), _ in moves],
        "transition_target": [target.value for _, target in moves],
        "terminal_status": sorted(status.value for status in TERMINAL),
        "close_type": [lead_type.value for lead_type, _ in rules],
        "close_paid_invoice": [rule.paid_invoice for _, rule in rules],
        "close_comment": [rule.comment for _, rule in rules],
        "close_from_new": [rule.from_new for _, rule in rules],
        "action_name": [action.value for action in Action],
        "action_event": [EVENT_KINDS[action].value for action in Action],
        "contacts": [contact.value for contact in Contact],
        "stages": [stage.value for stage in Stage],
    }


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
