"""SPEC §6 "Transfer", §9.1.1, §10: the SLA sweep records breaches once and moves breached hot
and warm leads to another SC, never back, never cold ones, never a client booked at its SC."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from flows.ingest import ingest_feed
from flows.sweeps import sweep_sla

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)  # Monday 09:00 in Moscow
REGION_50 = ("sc-msk-1", "sc-msk-2", "sc-msk-3")  # the SCs selling extern in region 50


def _ingest(warehouse, tmp_path, source: str, row: str, header: str = "inn,region,product,phone") -> int:
    feed = tmp_path / f"{source}-{abs(hash(row))}.csv"
    feed.write_text(f"{header}\n{row}\n", encoding="utf-8")
    ingest_feed(path=str(feed), source=source, as_of=T0, warehouse=str(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT max(lead_id) FROM leads").fetchone()[0]


def _lead(warehouse, lead_id: int) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(
            "SELECT sc_id, status, arrived_at, accept_deadline, manager_id FROM leads WHERE lead_id = ?",
            [lead_id],
        )
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _sweep(warehouse, at: datetime, **options) -> dict[str, int]:
    return sweep_sla(as_of=at, warehouse=str(warehouse), **options)


def test_a_breached_hot_lead_moves_once_with_a_fresh_clock(warehouse, tmp_path):
    lead_id = _ingest(warehouse, tmp_path, "consultation_order", ",50,extern,89123456789")
    first_sc = _lead(warehouse, lead_id)["sc_id"]
    assert first_sc in REGION_50
    at = T0 + timedelta(hours=4)  # 13:00 Moscow; the deadline was 12:00
    result = _sweep(warehouse, at)
    again = _sweep(warehouse, at)
    assert (result["breaches_recorded"], result["transferred"]) == (1, 1)
    assert (again["breaches_recorded"], again["transferred"]) == (0, 0)
    lead = _lead(warehouse, lead_id)
    assert lead["sc_id"] in REGION_50
    assert lead["sc_id"] != first_sc
    assert lead["status"] == "new"
    # arrival reset to the transfer; 3 working hours from 13:00 Moscow is 16:00 = 13:00 UTC
    assert (lead["arrived_at"], lead["accept_deadline"]) == (at, datetime(2026, 3, 2, 13, tzinfo=UTC))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        breach = con.sql("SELECT sc_id, late_minutes FROM sla_breaches").fetchall()
        transfer = con.sql("SELECT from_sc, to_sc, reason, missed_deadline FROM lead_transfers").fetchall()
        (detail,) = con.execute("SELECT detail FROM lead_events WHERE kind = 'transferred'").fetchone()
    assert breach == [(first_sc, 60)]  # the breach belongs to the SC that missed it
    assert transfer == [(first_sc, lead["sc_id"], "breach", T0 + timedelta(hours=3))]
    assert json.loads(detail) == {
        "from_sc": first_sc,
        "to_sc": lead["sc_id"],
        "reason": "breach",
        "accept_deadline": "2026-03-02T13:00:00+0000",
    }


def test_no_ping_pong_a_lead_runs_out_of_scs_and_stays(warehouse, tmp_path):
    lead_id = _ingest(warehouse, tmp_path, "consultation_order", ",50,extern,89123456789")
    visited = [_lead(warehouse, lead_id)["sc_id"]]
    at = T0
    for _ in range(2):
        at = _lead(warehouse, lead_id)["accept_deadline"] + timedelta(minutes=30)
        assert _sweep(warehouse, at)["transferred"] == 1
        visited.append(_lead(warehouse, lead_id)["sc_id"])
    assert sorted(visited) == sorted(REGION_50)  # every SC once, none twice
    at = _lead(warehouse, lead_id)["accept_deadline"] + timedelta(minutes=30)
    result = _sweep(warehouse, at)
    assert (result["breaches_recorded"], result["transferred"], result["transfer_no_target"]) == (1, 0, 1)
    assert _lead(warehouse, lead_id)["sc_id"] == visited[-1]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        breached_at = [
            sc for (sc,) in con.sql("SELECT sc_id FROM sla_breaches ORDER BY detected_at").fetchall()
        ]
    assert breached_at == visited


def test_cold_leads_never_move(warehouse, tmp_path):
    lead_id = _ingest(warehouse, tmp_path, "call_base", "7707083893,50,extern,89123456789")
    sc_id = _lead(warehouse, lead_id)["sc_id"]
    result = _sweep(warehouse, T0 + timedelta(days=31))
    assert (result["breaches_recorded"], result["transferred"]) == (1, 0)
    assert _lead(warehouse, lead_id)["sc_id"] == sc_id


def test_a_warm_lead_moves_unless_the_policy_keeps_warm_leads(warehouse, tmp_path, monkeypatch):
    lead_id = _ingest(warehouse, tmp_path, "demo_order", ",50,extern,89123456789")
    monkeypatch.setenv("PP_TRANSFER_TEMPERATURES", "hot")
    assert _sweep(warehouse, T0 + timedelta(days=8))["transferred"] == 0
    monkeypatch.setenv("PP_TRANSFER_TEMPERATURES", "hot,warm")
    assert _sweep(warehouse, T0 + timedelta(days=8))["transferred"] == 1
    assert _lead(warehouse, lead_id)["accept_deadline"] == T0 + timedelta(days=15)


def test_the_hourly_hot_sweep_leaves_warm_leads_alone(warehouse, tmp_path):
    _ingest(warehouse, tmp_path, "demo_order", ",50,extern,89123456789")
    result = _sweep(warehouse, T0 + timedelta(days=8), temperature="hot")
    assert (result["breaches_recorded"], result["transferred"]) == (0, 0)


@pytest.mark.parametrize("kind", ["invoice", "paid_period"])
def test_a_client_booked_at_its_sc_by_invoice_or_paid_period_stays(warehouse, tmp_path, kind):
    lead_id = _ingest(warehouse, tmp_path, "consultation_order", "7707083893,50,extern,89123456789")
    sc_id = _lead(warehouse, lead_id)["sc_id"]
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO bookings VALUES ('7707083893', NULL, 'extern', ?, ?, ?, ?, NULL, NULL)",
            [sc_id, kind, T0, T0 + timedelta(days=30)],
        )
    result = _sweep(warehouse, T0 + timedelta(hours=4))
    assert (result["breaches_recorded"], result["transferred"]) == (1, 0)
    assert _lead(warehouse, lead_id)["sc_id"] == sc_id


def test_a_connection_leads_booking_follows_it(warehouse, tmp_path):
    lead_id = _ingest(warehouse, tmp_path, "connection_request", "7707083893,50,extern,89123456789")
    first_sc = _lead(warehouse, lead_id)["sc_id"]
    at = T0 + timedelta(hours=4)
    assert _sweep(warehouse, at)["transferred"] == 1
    new_sc = _lead(warehouse, lead_id)["sc_id"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        bookings = con.sql(
            "SELECT sc_id, kind, starts_at, ends_at FROM bookings ORDER BY starts_at"
        ).fetchall()
    assert bookings == [
        (first_sc, "lead", T0, at),
        (new_sc, "lead", at, at + timedelta(days=30)),
    ]
