"""Single-lead actions (`pp lead …`): immediate, one short transaction, no flow."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from schemas.enums import EventKind, Status
from schemas.errors import PipelineError
from tasks.lifecycle import Action, Contact, next_status
from warehouse import store


def take_lead(
    warehouse: Path, lead_id: int, *, contact: Contact, note: str | None, as_of: datetime
) -> dict[str, object]:
    """`new → in_work` with the contact that justifies it (SPEC §3, §8.2.3); a take after the
    deadline is recorded as a breach (§10)."""
    with store.transaction(warehouse) as con:
        store.require_schema(con, warehouse)
        found = con.execute(
            "SELECT status, sc_id, accept_deadline FROM leads WHERE lead_id = ?", [lead_id]
        ).fetchall()
        if not found:
            raise PipelineError(f"lead {lead_id} does not exist")
        status, sc_id, deadline = Status(found[0][0]), found[0][1], found[0][2]
        if sc_id is None:
            raise PipelineError(f"lead {lead_id} is not assigned to a service centre yet")
        target = next_status(lead_id, status, Action.TAKE)
        store.run(
            con,
            "UPDATE leads SET status = ?, taken_at = ? WHERE lead_id = ?",
            [target.value, as_of, lead_id],
        )
        store.run(
            con,
            "INSERT INTO lead_events VALUES (?, ?, ?, ?, ?)",
            [
                lead_id,
                as_of,
                EventKind.TAKEN.value,
                f"sc:{sc_id}",
                json.dumps({"contact": contact.value, "note": note}, ensure_ascii=False),
            ],
        )
        store.run(con, store.sql("record_late_take"), {"lead_id": lead_id, "as_of": as_of})
        late = deadline is not None and as_of > deadline
    return {"lead_id": lead_id, "status": target.value, "late": late}
