"""The lead state machine (SPEC §3): which action may move a lead from which status, as data."""

from __future__ import annotations

from enum import StrEnum

from schemas.enums import Status
from schemas.errors import PipelineError


class Action(StrEnum):
    TAKE = "take"  # a recorded contact with the client (§3, §8.2.3)


class Contact(StrEnum):
    CALL = "call"
    MEETING = "meeting"


TERMINAL: frozenset[Status] = frozenset({Status.COMPLETED, Status.REFUSED, Status.BLOCKED})

# (status, action) -> status after it
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.NEW, Action.TAKE): Status.IN_WORK,
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
