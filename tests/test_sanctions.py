"""SPEC §11 (§9.1): sanctions are rows with who, when, why and until; assignment honours
every active one (§6); applying one twice changes nothing; lifting ends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from flows.ingest import ingest_feed
from flows.sanctions import (
    close_product,
    exclude_centre,
    lift_sanction,
    list_sanctions,
    propose_sanctions,
    transfer_client,
)
from schemas.errors import PipelineError
from tasks.periods import parse_period

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)  # Monday 09:00 in Moscow
BY = "principal-1"


def _ingest(warehouse, tmp_path, rows: list[str], source: str = "call_base", at: datetime = T0) -> list[str]:
    """The SCs the feed's leads went to, in file order."""
    feed = tmp_path / f"feed-{at.timestamp():.0f}-{len(list(tmp_path.iterdir()))}.csv"
    feed.write_text("inn,region,product,phone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ingest_feed(path=str(feed), source=source, as_of=at, warehouse=str(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            sc
            for (sc,) in con.execute(
                "SELECT sc_id FROM leads WHERE created_at = ? ORDER BY lead_id", [at]
            ).fetchall()
        ]


CLIENTS = ["7707083893", "7736050003", "7702070139", "7710140679"]  # valid INNs, Moscow


def test_an_excluded_sc_gets_no_new_leads_until_its_quarter_ends(warehouse, tmp_path):
    result = exclude_centre(warehouse, "sc-msk-1", forever=False, reason="Q1 breaches", by=BY, as_of=T0)
    assert result["ends_at"] == datetime(2026, 3, 31, 21, tzinfo=UTC)  # 1 April 00:00 in Moscow
    again = exclude_centre(warehouse, "sc-msk-1", forever=False, reason="Q1 breaches", by=BY, as_of=T0)
    assert (again["sanction_id"], again["already_in_force"]) == (result["sanction_id"], True)
    assert set(
        _ingest(warehouse, tmp_path, [f"{inn},77,extern,8912345678{i}" for i, inn in enumerate(CLIENTS)])
    ) == {"sc-msk-2"}
    april = datetime(2026, 4, 1, 6, tzinfo=UTC)
    assert "sc-msk-1" in _ingest(
        warehouse,
        tmp_path,
        ["7704211201,77,extern,89123450000", "7705031674,77,extern,89123450001"],
        at=april,
    )


def test_a_forever_exclusion_holds_until_lifted(warehouse, tmp_path):
    sanction = exclude_centre(warehouse, "sc-msk-1", forever=True, reason=None, by=BY, as_of=T0)
    assert sanction["ends_at"] is None
    assert set(_ingest(warehouse, tmp_path, [f"{CLIENTS[0]},77,extern,89123456789"])) == {"sc-msk-2"}
    later = T0 + timedelta(days=400)
    lift_sanction(warehouse, sanction["sanction_id"], by="principal-2", as_of=later)
    with pytest.raises(PipelineError, match="already lifted"):
        lift_sanction(warehouse, sanction["sanction_id"], by="principal-2", as_of=later)
    in_force = list_sanctions(warehouse, as_of=later, include_ended=False)
    every = list_sanctions(warehouse, as_of=later, include_ended=True)
    assert in_force.is_empty()
    assert every.select("created_by", "lifted_at", "lifted_by").row(0) == (BY, later, "principal-2")


def test_a_closed_product_is_not_assigned_to_the_sc_but_others_are(warehouse, tmp_path):
    close_product(warehouse, "sc-msk-1", "extern", reason="§9.1.5", by=BY, as_of=T0)
    assert set(
        _ingest(warehouse, tmp_path, [f"{inn},77,extern,8912345678{i}" for i, inn in enumerate(CLIENTS)])
    ) == {"sc-msk-2"}
    assert _ingest(
        warehouse, tmp_path, [f"{CLIENTS[0]},77,diadoc,89123456789"], at=T0 + timedelta(hours=1)
    ) == ["sc-msk-1"]  # diadoc: msk-1 is the emptier of the two


def test_transfer_client_moves_its_open_leads_and_its_future_ones(warehouse, tmp_path):
    (first,) = _ingest(warehouse, tmp_path, [f"{CLIENTS[0]},77,extern,89123456789"])
    target = "sc-msk-2" if first == "sc-msk-1" else "sc-msk-1"
    with duckdb.connect(str(warehouse)) as con:  # in work at its SC, with a manager
        con.execute("UPDATE leads SET status = 'in_work', taken_at = ?, manager_id = 'm-1'", [T0])
    at = T0 + timedelta(days=1)
    result = transfer_client(warehouse, CLIENTS[0], "extern", target, reason="§9.1.4", by=BY, as_of=at)
    assert result["leads_moved"] == 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        moved = con.execute(
            "SELECT sc_id, status, taken_at, manager_id, arrived_at, accept_deadline FROM leads"
        ).fetchone()
        (reason, sanction_id) = con.execute("SELECT reason, sanction_id FROM lead_transfers").fetchone()
    assert moved == (target, "new", None, None, at, at + timedelta(days=30))
    assert (reason, sanction_id) == ("transfer_client", result["sanction_id"])
    again = transfer_client(warehouse, CLIENTS[0], "extern", target, reason="§9.1.4", by=BY, as_of=at)
    assert (again["already_in_force"], again["leads_moved"]) == (True, 0)
    # the client's next lead (after its first closed) follows the sanction, whatever the loads
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE leads SET status = 'refused', closed_at = ?", [at])
    assert _ingest(
        warehouse, tmp_path, [f"{CLIENTS[0]},77,extern,89123456700"], at=at + timedelta(days=1)
    ) == [target]


def test_propose_lists_the_scs_over_the_policy_with_evidence(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("PP_PROPOSE_MIN_DUE", "2")
    monkeypatch.setenv("PP_PROPOSE_BREACH_RATE", "0.5")
    with duckdb.connect(str(warehouse)) as con:
        # sc-vvo-1: 3 leads due in March (local), 2 breached; sc-msk-1: 2 due, none breached
        rows = [
            (1, "sc-vvo-1", datetime(2026, 3, 10, 3, tzinfo=UTC)),
            (2, "sc-vvo-1", datetime(2026, 3, 11, 3, tzinfo=UTC)),
            (3, "sc-vvo-1", datetime(2026, 3, 31, 13, 59, tzinfo=UTC)),  # 23:59 31 March local
            (4, "sc-vvo-1", datetime(2026, 3, 31, 14, tzinfo=UTC)),  # 00:00 1 April local: April's
            (5, "sc-msk-1", datetime(2026, 3, 12, 9, tzinfo=UTC)),
            (6, "sc-msk-1", datetime(2026, 3, 13, 9, tzinfo=UTC)),
        ]
        for lead_id, sc_id, deadline in rows:
            con.execute(
                "INSERT INTO leads (lead_id, product, lead_type, temperature, status, source, sc_id,"
                " created_at, arrived_at, accept_deadline) VALUES"
                " (?, 'extern', 'connection', 'hot', 'in_work', 'call_base', ?, ?, ?, ?)",
                [lead_id, sc_id, deadline - timedelta(hours=3), deadline - timedelta(hours=3), deadline],
            )
        for lead_id, late in ((1, 30), (3, 90), (4, 10)):
            deadline = rows[lead_id - 1][2]
            con.execute(
                "INSERT INTO sla_breaches VALUES (?, 'sc-vvo-1', 'hot', ?, ?, ?)",
                [lead_id, deadline, deadline + timedelta(minutes=late), late],
            )
    found = propose_sanctions(warehouse, parse_period("2026-03"), as_of=datetime(2026, 4, 2, tzinfo=UTC))
    assert found.select("sc_id", "due", "breached", "hot", "worst_late_minutes").rows() == [
        ("sc-vvo-1", 3, 2, 2, 90)
    ]
    assert found["proposal"][0] == "pp sanction exclude --sc sc-vvo-1 --until-quarter-end"
    assert "breach share 66.7% > 50.0%" in found["why"][0]
    exclude_centre(
        warehouse, "sc-vvo-1", forever=False, reason=None, by=BY, as_of=datetime(2026, 4, 2, tzinfo=UTC)
    )
    again = propose_sanctions(warehouse, parse_period("2026-03"), as_of=datetime(2026, 4, 2, tzinfo=UTC))
    assert again["proposal"].to_list() == ["already excluded"]


def test_a_quarter_exclusion_in_vladivostok_ends_at_local_midnight(warehouse, tmp_path):
    late_march = datetime.fromisoformat("2026-03-31T23:30:00+10:00")  # still Q1 in Vladivostok
    result = exclude_centre(warehouse, "sc-vvo-1", forever=False, reason=None, by=BY, as_of=late_march)
    assert result["ends_at"] == datetime(2026, 3, 31, 14, tzinfo=UTC)
    rows = ["2540014587,25,extern,89143456789", "2536003783,25,extern,89143456788"]
    assert set(_ingest(warehouse, tmp_path, rows, at=late_march + timedelta(minutes=15))) == {"sc-khv-1"}
    april = _ingest(
        warehouse, tmp_path, ["2538033670,25,extern,89143456787"], at=late_march + timedelta(hours=1)
    )
    assert april == ["sc-vvo-1"]  # 00:30 on 1 April local: the exclusion is over
