"""SPEC §3, §4, §6.3: every allowed and refused move of a lead, and the closing rule per type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from flows.lead_actions import act_on_lead, close_lead, postpone_lead, refuse_lead, stage_lead, take_lead
from schemas.enums import Contact, LeadType, Stage, Status
from schemas.errors import PipelineError
from tasks.lifecycle import CLOSE_RULES, TERMINAL, TRANSITIONS, Action

AS_OF = datetime(2026, 3, 10, 8, tzinfo=UTC)
DEADLINE = datetime(2026, 3, 10, 9, tzinfo=UTC)

# The fields that make each action valid on a lead whose status allows it.
FIELDS = {
    Action.TAKE: {"contact": "call"},
    Action.POSTPONE: {"until_utc": AS_OF + timedelta(days=1)},
    Action.STAGE: {"stage": "offer_made"},
    Action.CLOSE: {"comment": "trial switched on"},
    Action.REFUSE: {"reason": "no budget", "contact": "call"},
    Action.ASSIGN_MANAGER: {"manager_id": "msk-1-m1"},
}


def _lead(warehouse: Path, lead_type: LeadType = LeadType.CONNECTION, status: Status = Status.NEW) -> int:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO leads (lead_id, inn, product, lead_type, temperature, status, source, sc_id,"
            " created_at, arrived_at, accept_deadline) VALUES (1, '7707083893', 'extern', ?, 'hot', ?,"
            " 'callback_order', 'sc-msk-1', ?, ?, ?)",
            [lead_type.value, status.value, AS_OF - timedelta(hours=3), AS_OF - timedelta(hours=3), DEADLINE],
        )
    return 1


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_the_transition_table_is_the_only_way_to_move(warehouse, status, action):
    _lead(warehouse, LeadType.ACTIVATION, status)
    if (status, action) in TRANSITIONS:
        result = act_on_lead(warehouse, 1, action, AS_OF, **FIELDS[action])
        assert result["status"] == TRANSITIONS[status, action]
        assert status not in TERMINAL
    else:
        with pytest.raises(PipelineError, match=f"lead 1 is {status}"):
            act_on_lead(warehouse, 1, action, AS_OF, **FIELDS[action])
        assert _row(warehouse)["status"] == status


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_statuses_never_change(warehouse, status):
    _lead(warehouse, status=status)
    with pytest.raises(PipelineError, match=f"{status} leads do not change"):
        take_lead(warehouse, 1, contact=Contact.CALL, note=None, as_of=AS_OF)


@pytest.mark.parametrize(
    ("lead_type", "status", "invoice", "comment", "error"),
    [
        (LeadType.CONNECTION, Status.IN_WORK, "INV-1", None, None),
        (LeadType.CONNECTION, Status.IN_WORK, None, "paid", "needs --invoice"),
        (LeadType.CONNECTION, Status.NEW, "INV-1", None, "take it first"),
        (LeadType.RENEWAL, Status.IN_WORK, "INV-1", None, None),
        (LeadType.UPSELL, Status.IN_WORK, None, None, "needs --invoice"),
        (LeadType.SERVICE, Status.IN_WORK, None, "issue solved", None),
        (LeadType.SERVICE, Status.IN_WORK, None, "  ", "needs --comment"),
        (LeadType.SERVICE, Status.IN_WORK, "INV-1", "x", "closes without an invoice"),
        (LeadType.SERVICE, Status.NEW, None, "solved", "take it first"),
        (LeadType.ACTIVATION, Status.NEW, None, "trial given", None),
        (LeadType.ACTIVATION, Status.IN_WORK, None, None, "needs --comment"),
    ],
)
def test_closing_rules_per_type(warehouse, lead_type, status, invoice, comment, error):
    _lead(warehouse, lead_type, status)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO invoices VALUES ('INV-1', '7707083893', NULL, 'extern', 'sc-msk-1', ?, NULL, ?)",
            [AS_OF - timedelta(days=1), AS_OF - timedelta(hours=1)],
        )
    if error is None:
        result = close_lead(warehouse, 1, invoice_id=invoice, comment=comment, as_of=AS_OF)
        assert result["status"] == Status.COMPLETED
    else:
        with pytest.raises(PipelineError, match=error):
            close_lead(warehouse, 1, invoice_id=invoice, comment=comment, as_of=AS_OF)
    assert set(CLOSE_RULES) == set(LeadType)


def test_refusing_a_new_lead_needs_the_contact(warehouse):
    _lead(warehouse)
    with pytest.raises(PipelineError, match="needs --contact"):
        refuse_lead(warehouse, 1, reason="too expensive", contact=None, as_of=AS_OF)
    with pytest.raises(PipelineError, match="needs --reason"):
        refuse_lead(warehouse, 1, reason=" ", contact=Contact.CALL, as_of=AS_OF)
    refused = refuse_lead(warehouse, 1, reason="too expensive", contact=Contact.CALL, as_of=AS_OF)
    assert refused["status"] == Status.REFUSED


def test_refusing_a_lead_in_work_needs_no_contact(warehouse):
    _lead(warehouse, status=Status.IN_WORK)
    refused = refuse_lead(warehouse, 1, reason="too expensive", contact=None, as_of=AS_OF)
    assert refused["status"] == Status.REFUSED


def _row(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lead = con.sql("SELECT * FROM leads WHERE lead_id = 1").pl().row(0, named=True)
        lead["events"] = [
            r[0] for r in con.sql("SELECT kind FROM lead_events ORDER BY occurred_at").fetchall()
        ]
        lead["breaches"] = con.sql("SELECT count(*) FROM sla_breaches").fetchall()[0][0]
    return lead


def test_a_connection_lead_from_take_to_close_on_a_paid_invoice(warehouse):
    lead_id = _lead(warehouse)
    take_lead(warehouse, lead_id, contact=Contact.CALL, note=None, as_of=AS_OF)
    stage_lead(warehouse, lead_id, stage=Stage.INVOICE_ISSUED, note=None, as_of=AS_OF + timedelta(hours=1))
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO invoices VALUES ('INV-1', '7707083893', NULL, 'extern', 'sc-msk-1', ?, NULL, NULL),"
            " ('INV-2', '6663003127', NULL, 'extern', 'sc-msk-1', ?, NULL, ?)",
            [AS_OF, AS_OF, AS_OF],
        )
    with pytest.raises(PipelineError, match="not paid yet"):
        close_lead(warehouse, lead_id, invoice_id="INV-1", comment=None, as_of=AS_OF + timedelta(days=1))
    with pytest.raises(PipelineError, match="another client or product"):
        close_lead(warehouse, lead_id, invoice_id="INV-2", comment=None, as_of=AS_OF + timedelta(days=1))
    with pytest.raises(PipelineError, match="not in the warehouse"):
        close_lead(warehouse, lead_id, invoice_id="INV-9", comment=None, as_of=AS_OF + timedelta(days=1))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE invoices SET paid_at = ? WHERE invoice_id = 'INV-1'", [AS_OF + timedelta(days=1)])
    closed_at = AS_OF + timedelta(days=2)
    close_lead(warehouse, lead_id, invoice_id="INV-1", comment=None, as_of=closed_at)
    lead = _row(warehouse)
    assert (lead["status"], lead["invoice_id"], lead["taken_at"], lead["closed_at"]) == (
        "completed",
        "INV-1",
        AS_OF,
        closed_at,
    )
    assert lead["events"] == ["taken", "stage", "closed"]
    assert lead["breaches"] == 0
    with pytest.raises(PipelineError, match="completed leads do not change"):
        refuse_lead(warehouse, lead_id, reason="changed mind", contact=None, as_of=closed_at)


def test_postponing_a_new_lead_takes_it_into_work_and_a_late_one_is_a_breach(warehouse):
    lead_id = _lead(warehouse)
    with pytest.raises(PipelineError, match="postpone to the future"):
        postpone_lead(warehouse, lead_id, until=AS_OF, as_of=AS_OF)
    late = DEADLINE + timedelta(minutes=90)
    result = postpone_lead(warehouse, lead_id, until=late + timedelta(days=3), as_of=late)
    assert result == {"lead_id": 1, "status": "in_work", "late": True}
    lead = _row(warehouse)
    assert (lead["taken_at"], lead["postponed_until"]) == (late, late + timedelta(days=3))
    assert lead["breaches"] == 1
    postpone_lead(warehouse, lead_id, until=late + timedelta(days=5), as_of=late + timedelta(days=1))
    assert _row(warehouse)["taken_at"] == late  # taken once
    with pytest.raises(PipelineError, match="'take' applies to new leads only"):
        take_lead(warehouse, lead_id, contact=Contact.CALL, note=None, as_of=late + timedelta(days=2))


def test_an_activation_closes_at_any_moment_with_a_comment(warehouse):
    lead_id = _lead(warehouse, LeadType.ACTIVATION)
    close_lead(warehouse, lead_id, invoice_id=None, comment="trial switched on", as_of=AS_OF)
    assert _row(warehouse)["status"] == "completed"


def test_a_new_lead_refused_records_the_contact(warehouse):
    lead_id = _lead(warehouse)
    refuse_lead(warehouse, lead_id, reason="uses a competitor", contact=Contact.MEETING, as_of=AS_OF)
    lead = _row(warehouse)
    assert (lead["status"], lead["close_comment"], lead["closed_at"]) == (
        "refused",
        "uses a competitor",
        AS_OF,
    )
    assert lead["events"] == ["refused"]


def _history(warehouse: Path, *, event_at: datetime | None = None, breach_at: datetime | None = None) -> None:
    with duckdb.connect(str(warehouse)) as con:
        if event_at is not None:
            con.execute("INSERT INTO lead_events VALUES (1, ?, 'assigned', 'principal:p', '{}')", [event_at])
        if breach_at is not None:
            con.execute(
                "INSERT INTO sla_breaches VALUES (1, 'sc-msk-1', 'hot', ?, ?, 60)", [DEADLINE, breach_at]
            )


ACTIONS = {
    "take": lambda w, at: take_lead(w, 1, contact=Contact.CALL, note=None, as_of=at),
    "postpone": lambda w, at: postpone_lead(w, 1, until=at + timedelta(days=1), as_of=at),
    "stage": lambda w, at: stage_lead(w, 1, stage=Stage.OFFER_MADE, note=None, as_of=at),
    "close": lambda w, at: close_lead(w, 1, invoice_id=None, comment="done", as_of=at),
    "refuse": lambda w, at: refuse_lead(w, 1, reason="no budget", contact=Contact.CALL, as_of=at),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_an_action_dated_before_the_leads_last_event_is_refused_and_writes_nothing(warehouse, action):
    status = Status.IN_WORK if action == "stage" else Status.NEW
    _lead(warehouse, LeadType.ACTIVATION, status)
    _history(warehouse, event_at=AS_OF + timedelta(hours=1))  # 12:00 in Moscow
    before = _row(warehouse)
    with pytest.raises(PipelineError) as refused:
        ACTIONS[action](warehouse, AS_OF)
    assert str(refused.value) == (
        "lead 1's last event is at 2026-03-10 12:00 +03:00 (Europe/Moscow); "
        "an action cannot be dated before it"
    )
    assert _row(warehouse) == before
    ACTIONS[action](warehouse, AS_OF + timedelta(hours=1))  # at the same moment: in order


def test_a_take_dated_before_the_breach_was_recorded_is_refused(warehouse):
    _lead(warehouse)
    detected = DEADLINE + timedelta(hours=1, seconds=30)
    _history(warehouse, breach_at=detected)
    shown = r"last event is at 2026-03-10 13:00:30 \+03:00 \(Europe/Moscow\)"
    with pytest.raises(PipelineError, match=shown):
        take_lead(warehouse, 1, contact=Contact.CALL, note=None, as_of=DEADLINE + timedelta(minutes=30))
    assert _row(warehouse)["status"] == "new"
    result = take_lead(warehouse, 1, contact=Contact.CALL, note=None, as_of=detected)
    assert result["late"]
    assert _row(warehouse)["breaches"] == 1
