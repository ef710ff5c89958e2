"""Commands refuse what would lose data or rewrite history: one line, exit status 2, nothing
written (SPEC §6, §11, §13; the issue "nothing a user types loses data or stops the pipeline")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from flows.cli import parse_counts
from flows.sanctions import close_product, exclude_centre, lift_sanction, transfer_client
from schemas.errors import PipelineError
from tests.support import refused, run

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)  # Monday 09:00 in Moscow
BY = "principal-1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("m1=2,m1=3", "names manager 'm1' twice"),
        ("m1=2, m1 =3", "names manager 'm1' twice"),
        ("m1=0", "a count of at least 1"),
        ("m1=-2", "expected MANAGER=N pairs"),
        ("m1=²", "expected MANAGER=N pairs"),
        ("m1=٣", "expected MANAGER=N pairs"),
        (" , ", "expected MANAGER=N pairs"),
    ],
)
def test_counts_a_deal_cannot_honour_are_refused(text, message):
    with pytest.raises(PipelineError, match=message):
        parse_counts(text)


def test_counts_keep_the_order_given():
    assert list(parse_counts("vera=1, anna=12")) == ["vera", "anna"]


def test_a_repeated_manager_is_one_line_before_any_flow(monkeypatch, capsys, warehouse):
    before = warehouse.stat().st_mtime_ns
    args = ["managers", "assign", "--sc", "sc-ekb-1", "--counts", "ekb-1-m1=2,ekb-1-m1=3"]
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), *args)
    assert code == 2
    assert err.startswith("pp: error: --counts 'ekb-1-m1=2,ekb-1-m1=3' names manager 'ekb-1-m1' twice")
    assert len(err.strip().splitlines()) == 1
    assert warehouse.stat().st_mtime_ns == before


def _sanctions(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("SELECT sanction_id, kind, starts_at, lifted_at FROM sanctions ORDER BY 1").fetchall()


@pytest.mark.parametrize(
    ("inn", "message"),
    [
        ("123", "--inn '123' is not an INN: it has 3 digits; an INN is 10 digits (a company) or 12"),
        ("77070838931", "it has 11 digits"),
        ("770708389X", "is not an INN: it has characters other than digits"),
        ("7707083894", "--inn '7707083894': its check digits do not match; check it for a typo"),
        ("500100732258", "its check digits do not match"),
    ],
)
def test_transfer_client_refuses_an_inn_the_feeds_would_quarantine(
    monkeypatch, capsys, warehouse, inn, message
):
    args = ["sanction", "transfer-client", "--inn", inn, "--product", "extern", "--to", "sc-msk-2"]
    _, err = refused(monkeypatch, capsys, warehouse, *args)
    assert message in err


def test_transfer_client_takes_a_valid_entrepreneurs_inn(warehouse):
    result = transfer_client(warehouse, "500100732259", "extern", "sc-msk-2", reason=None, by=BY, as_of=T0)
    assert (result["kind"], result["leads_moved"]) == ("transfer_client", 0)


def _open_lead_with_event(warehouse: Path, event_at: datetime) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO leads (lead_id, inn, product, lead_type, temperature, status, source, sc_id,"
            " created_at, arrived_at, accept_deadline) VALUES (7, '7707083893', 'extern', 'connection',"
            " 'warm', 'new', 'call_base', 'sc-msk-1', ?, ?, ?)",
            [event_at, event_at, event_at + timedelta(days=7)],
        )
        con.execute("INSERT INTO lead_events VALUES (7, ?, 'created', 'feed:1', '{}')", [event_at])


def test_transfer_client_dated_before_a_moved_leads_history_is_refused(warehouse):
    _open_lead_with_event(warehouse, T0 + timedelta(hours=2))
    with pytest.raises(PipelineError) as refused:
        transfer_client(warehouse, "7707083893", "extern", "sc-msk-2", reason=None, by=BY, as_of=T0)
    assert str(refused.value) == (
        "lead 7's last event is at 2026-03-02 11:00 +03:00 (Europe/Moscow); "
        "an action cannot be dated before it"
    )
    assert _sanctions(warehouse) == []
    moved = transfer_client(
        warehouse, "7707083893", "extern", "sc-msk-2", reason=None, by=BY, as_of=T0 + timedelta(hours=2)
    )
    assert moved["leads_moved"] == 1


def test_a_measure_dated_before_the_same_measures_record_is_refused(warehouse):
    first = exclude_centre(warehouse, "sc-msk-1", forever=True, reason=None, by=BY, as_of=T0)
    lift_sanction(warehouse, first["sanction_id"], by=BY, as_of=T0 + timedelta(days=2))
    before = _sanctions(warehouse)
    with pytest.raises(PipelineError) as refused:  # an exclusion inside the lifted one's time
        exclude_centre(warehouse, "sc-msk-1", forever=True, reason=None, by=BY, as_of=T0 + timedelta(days=1))
    assert str(refused.value) == (
        f"sanction {first['sanction_id']} (exclude) of the same target was last changed at "
        "2026-03-04 09:00 +03:00 (Europe/Moscow); a measure cannot be dated before it"
    )
    assert _sanctions(warehouse) == before
    close_product(
        warehouse, "sc-msk-1", "extern", reason=None, by=BY, as_of=T0 + timedelta(days=1)
    )  # another
    transfer_client(warehouse, "7707083893", "extern", "sc-msk-2", reason=None, by=BY, as_of=T0)
    with pytest.raises(PipelineError, match=r"\(transfer_client\) of the same target"):  # whichever SC
        transfer_client(
            warehouse, "7707083893", "extern", "sc-msk-1", reason=None, by=BY, as_of=T0 - timedelta(1)
        )


def test_lifting_before_a_sanction_starts_names_its_start_in_the_scs_zone(warehouse):
    sanction = exclude_centre(warehouse, "sc-vvo-1", forever=True, reason=None, by=BY, as_of=T0)
    with pytest.raises(PipelineError) as refused:
        lift_sanction(warehouse, sanction["sanction_id"], by=BY, as_of=T0 - timedelta(minutes=1))
    assert str(refused.value) == (
        f"sanction {sanction['sanction_id']} starts at 2026-03-02 16:00 +10:00 (Asia/Vladivostok); "
        "it cannot be lifted before it"
    )


def test_a_lead_take_before_its_last_event_is_one_line(monkeypatch, capsys, warehouse):
    _open_lead_with_event(warehouse, T0 + timedelta(hours=2))
    args = ["lead", "take", "7", "--contact", "call", "--as-of", "2026-03-02T10:59:00+03:00"]
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), *args)
    assert code == 2
    assert err.strip() == (
        "pp: error: lead 7's last event is at 2026-03-02 11:00 +03:00 (Europe/Moscow); "
        "an action cannot be dated before it"
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.sql("SELECT status FROM leads").fetchall() == [("new",)]
