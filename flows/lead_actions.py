"""Single-lead actions (`pp lead …`): each is a one-row SC activity (SPEC §13), applied at once
in one short transaction by the same rules and SQL as an activity file (`warehouse.activity`);
no flow. A refusal is one line, the reason the activity quarantine would give. Nothing here
loads polars or pyarrow: the command answers as fast as DuckDB opens the file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas.enums import Contact, Stage
from schemas.errors import PipelineError
from tasks.lifecycle import Action, rule_columns
from warehouse import activity, store
from warehouse.locator import Warehouse

# How the refusals name the fields: as the options of `pp lead …`.
OPTION_NAMES = {
    "until_field": "--until",
    "contact_field": "--contact",
    "invoice_field": "--invoice",
    "comment_field": "--comment",
    "reason_field": "--reason",
}


def act_on_lead(
    warehouse: Warehouse, lead_id: int, action: Action, as_of: datetime, **fields: Any
) -> dict[str, object]:
    """Apply one action at `as_of` (`fields`: the activity columns it fills); where it left the
    lead, and whether it left `new` after its deadline (a breach then, SPEC §10, recorded)."""
    rules = rule_columns()
    for attempt in store.write_attempts(warehouse):
        with attempt as con:
            store.require_schema(con, warehouse)
            activity.begin(con, rules)
            row = {"seq": 1, "lead_id": lead_id, "action": action.value, "at_utc": as_of, **fields}
            activity.stage_row(con, row)
            activity.decide(con, as_of=as_of, rules=rules, fields=OPTION_NAMES)
            decided = activity.outcome(con, 1)
            if decided.outcome != "applied":
                raise PipelineError(decided.detail or f"lead {lead_id}: the action was refused")
    return {"lead_id": lead_id, "status": decided.status, "late": decided.late}


def take_lead(
    warehouse: Warehouse, lead_id: int, *, contact: Contact, note: str | None, as_of: datetime
) -> dict[str, object]:
    """`new → in_work` with the contact that justifies it (SPEC §3, §8.2.3)."""
    return act_on_lead(warehouse, lead_id, Action.TAKE, as_of, contact=contact.value, comment=note)


def postpone_lead(
    warehouse: Warehouse, lead_id: int, *, until: datetime, as_of: datetime
) -> dict[str, object]:
    """§6.3: postpone to a future instant; a `new` lead becomes `in_work` by it."""
    return act_on_lead(warehouse, lead_id, Action.POSTPONE, as_of, until_utc=until)


def stage_lead(
    warehouse: Warehouse, lead_id: int, *, stage: Stage, note: str | None, as_of: datetime
) -> dict[str, object]:
    """A step of the sale on a lead in work, kept in its history."""
    return act_on_lead(warehouse, lead_id, Action.STAGE, as_of, stage=stage.value, comment=note)


def close_lead(
    warehouse: Warehouse, lead_id: int, *, invoice_id: str | None, comment: str | None, as_of: datetime
) -> dict[str, object]:
    """`completed` under §4's rule for the lead's type, on a paid invoice or with a comment."""
    return act_on_lead(warehouse, lead_id, Action.CLOSE, as_of, invoice_id=invoice_id, comment=comment)


def refuse_lead(
    warehouse: Warehouse, lead_id: int, *, reason: str, contact: Contact | None, as_of: datetime
) -> dict[str, object]:
    """`refused`, with the reason; from `new`, with the contact in which the client refused."""
    return act_on_lead(
        warehouse, lead_id, Action.REFUSE, as_of, reason=reason, contact=contact.value if contact else None
    )
