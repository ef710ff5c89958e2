"""SPEC §14: a principal's measures on one lead. Assign a waiting lead to an SC (§3.2), transfer
a lead to another SC (§9.1.1, §9.3), remove a lead for a violation (§9.2): each refused in one
line when a rule forbids it, and each leaving the lead, its bookings, notices and history as
any assignment or closing would."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from flows.lead_actions import take_lead
from flows.principal_actions import assign_lead, remove_lead, transfer_lead
from flows.sanctions import close_product, exclude_centre, propose_sanctions
from schemas.enums import Contact, SanctionKind, Status, Violation
from schemas.errors import PipelineError
from tasks.measures import parse_fine
from tasks.periods import parse_period
from tests.support import query, refused, run
from warehouse import repository as repo
from warehouse import store


def _utc(text: str) -> datetime:
    """An instant as the command line hands it to the measures: in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)


FRIDAY = _utc("2026-03-06T16:30:00+03:00")  # Monday 9 March 2026 is a holiday
BY = "principal-1"
INN = "7707083893"


def _waiting(warehouse, lead_id: int = 1, *, temperature: str = "hot", **columns: object) -> int:
    """A lead no SC could take yet (SPEC §6 rule 4), as an ingest leaves it."""
    row = {
        "lead_id": lead_id,
        "inn": INN,
        "region": "77",
        "product": "extern",
        "lead_type": "connection",
        "temperature": temperature,
        "status": "new",
        "source": "call_base",
        "created_at": FRIDAY - timedelta(days=1),
        **columns,
    }
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"INSERT INTO leads ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )
    return lead_id


def _lead(warehouse, lead_id: int = 1) -> dict:
    found = query(
        warehouse,
        "SELECT sc_id, status, arrived_at, accept_deadline, taken_at, closed_at FROM leads WHERE lead_id = ?",
        [lead_id],
    )
    return found.row(0, named=True)


def _events(warehouse, kind: str) -> list[tuple[str, dict]]:
    found = query(
        warehouse, "SELECT actor, detail FROM lead_events WHERE kind = ? ORDER BY occurred_at", [kind]
    )
    return [(actor, json.loads(detail)) for actor, detail in found.rows()]


# Assign (§3.2)


def test_a_waiting_hot_lead_is_assigned_with_its_deadline_in_the_sc_zone_and_announced(warehouse):
    _waiting(warehouse)
    at = _utc("2026-03-06T16:30:00+05:00")  # Friday, Yekaterinburg
    result = assign_lead(warehouse, 1, sc="SC-EKB-1", by=BY, as_of=at)  # the code in any case
    # 3 working hours from Friday 16:30 local: 1.5 h on Friday, Monday 9 March off, Tuesday 10:30
    tuesday = _utc("2026-03-10T10:30:00+05:00")
    assert (result["sc_id"], result["accept_deadline"]) == ("sc-ekb-1", tuesday)
    lead = _lead(warehouse)
    assert (lead["sc_id"], lead["status"], lead["arrived_at"], lead["accept_deadline"]) == (
        "sc-ekb-1",
        "new",
        at,
        tuesday,
    )
    assert _events(warehouse, "assigned") == [(f"principal:{BY}", {"sc_id": "sc-ekb-1", "rule": "principal"})]
    bookings = query(warehouse, "SELECT sc_id, kind, lead_id, starts_at, ends_at FROM bookings")
    assert bookings.rows() == [("sc-ekb-1", "lead", 1, at, at + timedelta(days=30))]
    notices = query(warehouse, "SELECT sc_id, cause, channel, notification_id IS NOT NULL FROM notices")
    assert notices.rows() == [("sc-ekb-1", "assigned", "immediate", True)]  # sent after the commit
    sent = query(warehouse, "SELECT sc_id, kind, status FROM notifications")
    assert sent.rows() == [("sc-ekb-1", "immediate", "sent")]
    assert len(list((warehouse.parent / "outbox").glob("*.eml"))) == 1


def test_a_waiting_warm_lead_goes_to_the_digest_with_seven_days(warehouse):
    _waiting(warehouse, temperature="warm", lead_type="upsell")
    result = assign_lead(warehouse, 1, sc="sc-msk-2", by=BY, as_of=FRIDAY)
    assert result["accept_deadline"] == FRIDAY + timedelta(days=7)
    assert query(warehouse, "SELECT channel FROM notices")["channel"].to_list() == ["digest"]
    assert query(warehouse, "SELECT count(*) AS n FROM bookings")["n"].item() == 0  # not a connection
    assert query(warehouse, "SELECT count(*) AS n FROM notifications")["n"].item() == 0


@pytest.mark.parametrize(
    ("setup", "sc", "message"),
    [
        ("at_sc", "sc-msk-2", "lead 1 is not waiting: it is at sc-msk-1; `pp lead transfer` moves it"),
        ("refused", "sc-msk-2", "lead 1 is refused; refused leads do not change"),
        ("none", "sc-nowhere", "service centre 'sc-nowhere' is not in the reference data"),
        ("elba", "sc-msk-2", "service centre 'sc-msk-2' does not sell 'elba'"),
        ("excluded", "sc-msk-2", "takes no new 'extern' leads: sanction 1 (exclude) holds until 2026-04-01"),
        ("closed", "sc-msk-2", "takes no new 'extern' leads: sanction 1 (close_product) holds for good"),
    ],
)
def test_an_assignment_refused_says_why_and_writes_nothing(
    monkeypatch, capsys, warehouse, setup, sc, message
):
    columns = {
        "at_sc": {"sc_id": "sc-msk-1"},
        "refused": {"status": "refused"},
        "elba": {"product": "elba"},
    }.get(setup, {})
    _waiting(warehouse, **columns)
    if setup == "excluded":
        exclude_centre(warehouse, "sc-msk-2", forever=False, reason=None, by=BY, as_of=FRIDAY)
    if setup == "closed":
        close_product(warehouse, "sc-msk-2", "extern", reason=None, by=BY, as_of=FRIDAY)
    at = (FRIDAY + timedelta(hours=1)).isoformat()
    _, err = refused(monkeypatch, capsys, warehouse, "lead", "assign", "1", "--sc", sc, "--as-of", at)
    assert message in err
    assert query(warehouse, "SELECT count(*) AS n FROM lead_events")["n"].item() == 0


def test_the_command_says_where_the_lead_went_and_by_when(monkeypatch, capsys, warehouse):
    _waiting(warehouse)
    args = ("--warehouse", str(warehouse), "lead", "assign", "1", "--sc", "sc-msk-1", "--by", BY)
    code, out, err = run(monkeypatch, capsys, *args, "--as-of", FRIDAY.isoformat())
    assert (code, err) == (0, "")
    assert out.strip() == (
        "lead 1 assigned to sc-msk-1: new there, to take into work by 2026-03-10 10:30 +03:00 (Europe/Moscow)"
    )


# Transfer (§9.1.1, §9.3)


def _assigned(warehouse, sc: str = "sc-msk-1", **columns: object) -> int:
    _waiting(warehouse, **columns)
    assign_lead(warehouse, 1, sc=sc, by=BY, as_of=FRIDAY)
    return 1


def test_a_new_lead_transferred_starts_afresh_at_the_new_sc_with_the_reason_on_record(warehouse):
    _assigned(warehouse)
    at = FRIDAY + timedelta(hours=1)  # 17:30 Moscow, before its deadline
    result = transfer_lead(
        warehouse, 1, to="sc-msk-2", reason="§9.3: status changed without contact", by=BY, as_of=at
    )
    tuesday = _utc("2026-03-10T11:30:00+03:00")  # 30 minutes on Friday, 2.5 h on Tuesday
    assert (result["from_sc"], result["sc_id"], result["accept_deadline"]) == (
        "sc-msk-1",
        "sc-msk-2",
        tuesday,
    )
    lead = _lead(warehouse)
    assert (lead["sc_id"], lead["status"], lead["arrived_at"], lead["accept_deadline"]) == (
        "sc-msk-2",
        "new",
        at,
        tuesday,
    )
    moves = query(warehouse, "SELECT from_sc, to_sc, reason, missed_deadline FROM lead_transfers")
    assert moves.rows() == [("sc-msk-1", "sc-msk-2", "principal", _utc("2026-03-10T10:30:00+03:00"))]
    assert [detail["sc_id"] for _, detail in _events(warehouse, "assigned")] == ["sc-msk-1"]
    ((actor, detail),) = _events(warehouse, "transferred")
    assert actor == f"principal:{BY}"
    assert (detail["from_sc"], detail["to_sc"], detail["reason"], detail["note"]) == (
        "sc-msk-1",
        "sc-msk-2",
        "principal",
        "§9.3: status changed without contact",
    )
    bookings = query(warehouse, "SELECT sc_id, starts_at, ends_at FROM bookings ORDER BY starts_at")
    assert bookings.rows() == [("sc-msk-1", FRIDAY, at), ("sc-msk-2", at, at + timedelta(days=30))]
    notices = query(warehouse, "SELECT sc_id, cause FROM notices ORDER BY assigned_at")
    assert notices.rows() == [("sc-msk-1", "assigned"), ("sc-msk-2", "transferred")]


def test_a_lead_in_work_transferred_is_new_again_with_a_fresh_deadline(warehouse):
    _assigned(warehouse, temperature="warm")
    take_lead(warehouse, 1, contact=Contact.CALL, note=None, as_of=FRIDAY + timedelta(hours=1))
    at = FRIDAY + timedelta(days=2)
    transfer_lead(warehouse, 1, to="sc-msk-3", reason="§9.3: improper postponement", by=BY, as_of=at)
    lead = _lead(warehouse)
    assert (lead["sc_id"], lead["status"], lead["taken_at"], lead["accept_deadline"]) == (
        "sc-msk-3",
        "new",
        None,
        at + timedelta(days=7),
    )
    assert query(warehouse, "SELECT count(*) AS n FROM sla_breaches")["n"].item() == 0  # taken in time


def test_a_lead_transferred_past_its_deadline_leaves_its_breach_with_the_sc_that_missed_it(warehouse):
    _assigned(warehouse)  # due Tuesday 10:30 Moscow at sc-msk-1
    at = _utc("2026-03-10T12:00:00+03:00")  # no sweep has run since
    transfer_lead(warehouse, 1, to="sc-msk-2", reason="§9.1.1: breach", by=BY, as_of=at)
    breaches = query(warehouse, "SELECT sc_id, late_minutes FROM sla_breaches")
    assert breaches.rows() == [("sc-msk-1", 90)]
    stays = query(warehouse, "SELECT sc_id, breached FROM metric_stays ORDER BY sc_id")
    assert stays.rows() == [("sc-msk-1", True), ("sc-msk-2", False)]


@pytest.mark.parametrize(
    ("setup", "to", "message"),
    [
        (
            "cold",
            "sc-msk-3",
            "lead 1 is cold: cold leads never move to another SC (SPEC §6), only hot and warm",
        ),
        (
            "invoice",
            "sc-msk-3",
            "lead 1 stays at sc-msk-1: its client is booked there by invoice 'INV-1' until",
        ),
        (
            "paid_period",
            "sc-msk-3",
            "its client is booked there by paid period until 2026-12-31 00:00 +03:00",
        ),
        ("none", "sc-msk-1", "lead 1 is already at sc-msk-1; choose another SC"),
        ("none", "sc-kzn-2", "service centre 'sc-kzn-2' does not sell 'elba'"),
        ("waiting", "sc-msk-3", "lead 1 waits for an SC and is at none; `pp lead assign` gives it one"),
    ],
)
def test_a_transfer_refused_names_the_rule(monkeypatch, capsys, warehouse, setup, to, message):
    if setup == "waiting":
        _waiting(warehouse)
    else:
        _assigned(warehouse, temperature="cold" if setup == "cold" else "hot", product="elba")
    booking = {
        "invoice": ("invoice", datetime(2026, 3, 20, tzinfo=UTC), "INV-1"),
        "paid_period": ("paid_period", _utc("2026-12-31T00:00:00+03:00"), None),
    }.get(setup)
    if booking:
        kind, ends_at, invoice_id = booking
        with duckdb.connect(str(warehouse)) as con:
            con.execute(
                "INSERT INTO bookings VALUES (?, NULL, 'elba', 'sc-msk-1', ?, ?, ?, NULL, ?)",
                [INN, kind, FRIDAY, ends_at, invoice_id],
            )
    at = (FRIDAY + timedelta(hours=1)).isoformat()
    _, err = refused(
        monkeypatch, capsys, warehouse, "lead", "transfer", "1", "--to", to, "--reason", "x", "--as-of", at
    )
    assert message in err
    assert query(warehouse, "SELECT count(*) AS n FROM lead_transfers")["n"].item() == 0


# Remove (§9.2)


def _sla_arrived(warehouse, sc_id: str) -> tuple[int, int, int]:
    """What the analytics count of the SC in March: its stays in the report (every figure of
    the page is counted from them), in the SLA view BI tools read, and its open backlog."""
    as_of = FRIDAY + timedelta(days=3)
    with store.reader(warehouse) as con:
        stays = repo.report_stays(con, "month", date(2026, 3, 1), date(2026, 3, 1), as_of)
        sla_view = store.frame(con, "SELECT lead_id FROM metric_stays WHERE sc_id = ?", [sc_id])
    return (
        stays.filter(sc_id=sc_id).height,
        sla_view.height,
        stays.filter(sc_id=sc_id, status="in_work").height,
    )


def test_a_removed_lead_is_on_record_out_of_every_count_and_its_booking_ends(warehouse):
    _assigned(warehouse)
    take_lead(warehouse, 1, contact=Contact.CALL, note=None, as_of=FRIDAY + timedelta(minutes=30))
    assert _sla_arrived(warehouse, "sc-msk-1") == (1, 1, 1)
    at = FRIDAY + timedelta(days=1)
    fine = parse_fine("1500,50")
    result = remove_lead(warehouse, 1, violation=Violation.FICTITIOUS_CONTACTS, fine=fine, by=BY, as_of=at)
    assert (result["status"], result["sc_id"]) == ("removed", "sc-msk-1")
    lead = _lead(warehouse)
    assert (lead["sc_id"], lead["status"], lead["closed_at"]) == ("sc-msk-1", "removed", at)
    record = query(
        warehouse, "SELECT lead_id, removed_at, sc_id, violation, fine, removed_by FROM lead_removals"
    )
    assert record.rows() == [(1, at, "sc-msk-1", "8.2.4", Decimal("1500.50"), BY)]
    assert _events(warehouse, "removed") == [(f"principal:{BY}", {"violation": "8.2.4", "fine": "1500.50"})]
    assert query(warehouse, "SELECT ends_at FROM bookings")["ends_at"].to_list() == [at]
    assert _sla_arrived(warehouse, "sc-msk-1") == (0, 0, 0)
    with store.reader(warehouse) as con:
        assert repo.sc_loads(con).filter(sc_id="sc-msk-1").is_empty()
    with pytest.raises(PipelineError, match="lead 1 is removed; removed leads do not change"):
        take_lead(warehouse, 1, contact=Contact.CALL, note=None, as_of=at + timedelta(hours=1))


def test_the_violation_is_evidence_for_the_sanction_proposal_and_its_breach_leaves(warehouse, monkeypatch):
    monkeypatch.setenv("PP_PROPOSE_BREACH_COUNT", "1")
    _assigned(warehouse)  # due Tuesday 10:30, breached by noon
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO sla_breaches SELECT lead_id, sc_id, temperature, accept_deadline, ?, 60 FROM leads",
            [datetime(2026, 3, 10, 9, tzinfo=UTC)],
        )
    as_of = datetime(2026, 4, 2, tzinfo=UTC)
    march = parse_period("2026-03")
    before = propose_sanctions(warehouse, march, as_of=as_of)
    assert before.select("sc_id", "breached", "removed").rows() == [("sc-msk-1", 1, 0)]
    at = datetime(2026, 3, 11, 9, tzinfo=UTC)
    remove_lead(warehouse, 1, violation=Violation.NO_INTENT_TO_SELL, fine=None, by=BY, as_of=at)
    after = propose_sanctions(warehouse, march, as_of=as_of)
    assert after.select("sc_id", "due", "breached", "removed", "violations").rows() == [
        ("sc-msk-1", 0, 0, 1, "§8.2.1: 1")
    ]
    assert after["why"].item() == "leads removed for violations: 1 (§8.2.1: 1)"
    assert after["proposal"].item() == "pp sanction exclude --sc sc-msk-1 --until-quarter-end"


def test_pp_sanction_propose_lists_the_removal(monkeypatch, capsys, warehouse):
    _assigned(warehouse)
    remove_lead(warehouse, 1, violation=Violation.FICTITIOUS_CONTACTS, fine=None, by=BY, as_of=FRIDAY)
    args = ("--warehouse", str(warehouse), "sanction", "propose", "--period", "2026-03", "--json")
    code, out, _ = run(monkeypatch, capsys, *args, "--as-of", "2026-04-02T00:00:00+03:00")
    assert code == 0
    (centre,) = json.loads(out)["service_centres"]
    assert (centre["sc_id"], centre["why"]) == ("sc-msk-1", "leads removed for violations: 1 (§8.2.4: 1)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--violation", "8.2.2"], "'8.2.2' is not one of '8.2.1', '8.2.4'"),
        (["--violation", "8.2.4", "--fine", "-5"], "--fine '-5' is not an amount"),
        (["--violation", "8.2.4", "--fine", "0"], "--fine '0' is not positive"),
        (["--violation", "8.2.4", "--fine", "1.005"], "at most two decimals"),
        (["--violation", "8.2.4", "--fine", "many"], "--fine 'many' is not an amount"),
    ],
)
def test_a_bad_clause_or_fine_is_one_line(monkeypatch, capsys, warehouse, args, message):
    _assigned(warehouse)
    _, err = refused(monkeypatch, capsys, warehouse, "lead", "remove", "1", *args)
    assert message in err


def test_a_closed_lead_is_not_removed(monkeypatch, capsys, warehouse):
    _assigned(warehouse)
    remove_lead(warehouse, 1, violation=Violation.FICTITIOUS_CONTACTS, fine=None, by=BY, as_of=FRIDAY)
    at = (FRIDAY + timedelta(hours=1)).isoformat()
    _, err = refused(
        monkeypatch, capsys, warehouse, "lead", "remove", "1", "--violation", "8.2.1", "--as-of", at
    )
    assert "lead 1 is removed; removed leads do not change" in err
    assert query(warehouse, "SELECT count(*) AS n FROM lead_removals")["n"].item() == 1


@pytest.mark.parametrize(
    ("text", "amount"), [("1500", "1500"), ("1500.50", "1500.50"), ("1 500,5", "1500.5"), ("0.01", "0.01")]
)
def test_a_fine_is_roubles_with_kopecks(text, amount):
    assert parse_fine(text) == Decimal(amount)


def test_the_rule_macros_of_the_measures_say_what_the_enums_say(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        removed = {s: con.execute("SELECT is_removed(?)", [s.value]).fetchone()[0] for s in Status}
        bars = {
            (kind, product): con.execute(
                "SELECT sanction_bars(?, 'extern', ?)", [kind.value, product]
            ).fetchone()[0]
            for kind in SanctionKind
            for product in ("extern", "elba")
        }
    assert removed == {s: s is Status.REMOVED for s in Status}
    assert bars == {
        (SanctionKind.EXCLUDE, "extern"): True,
        (SanctionKind.EXCLUDE, "elba"): True,
        (SanctionKind.CLOSE_PRODUCT, "extern"): True,
        (SanctionKind.CLOSE_PRODUCT, "elba"): False,
        (SanctionKind.TRANSFER_CLIENT, "extern"): False,
        (SanctionKind.TRANSFER_CLIENT, "elba"): False,
    }
