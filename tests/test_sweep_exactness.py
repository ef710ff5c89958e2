"""SPEC §10, §6 "Transfer": what the SLA sweep records and moves depends on the leads and the
sweep's `as_of` alone, never on which sweeps ran before; a moved lead keeps everything the
move does not change; deadlines in unconfirmed calendar years are counted in every zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from flows.ingest import ingest_feed
from flows.sweeps import sweep_sla
from schemas.rules import CALENDAR_CONFIRMED_BY_PACKAGE
from warehouse import repository as repo
from warehouse import store

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)  # Monday 09:00 in Moscow


def _ingest(warehouse, tmp_path, source: str, phone: str) -> int:
    feed = tmp_path / f"{source}-{phone}.csv"
    feed.write_text(f"inn,region,product,phone\n,50,extern,{phone}\n", encoding="utf-8")
    ingest_feed(path=str(feed), source=source, as_of=T0, warehouse=str(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT max(lead_id) FROM leads").fetchone()[0]


def _rows(warehouse, query: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


@pytest.mark.usefixtures("prefect_server")
def test_a_back_fill_after_a_later_sweep_records_what_was_due_at_its_own_instant(warehouse, tmp_path):
    hot = _ingest(warehouse, tmp_path, "consultation_order", "89123456789")  # due T0 + 3 h
    warm = _ingest(warehouse, tmp_path, "demo_order", "89123456780")  # due T0 + 7 days
    later = sweep_sla(temperature="hot", as_of=T0 + timedelta(days=8), warehouse=str(warehouse))
    assert (later["breaches_recorded"], later["transferred"]) == (1, 1)

    back_fill_at = T0 + timedelta(days=7, hours=1)
    back_fill = sweep_sla(as_of=back_fill_at, warehouse=str(warehouse))
    again = sweep_sla(as_of=back_fill_at, warehouse=str(warehouse))

    # the warm lead was an hour late then; the hot one is at its new SC, due after then
    assert (back_fill["breaches_recorded"], back_fill["transferred"]) == (1, 1)
    assert (again["breaches_recorded"], again["transferred"]) == (0, 0)
    breaches = _rows(
        warehouse, "SELECT lead_id, detected_at, late_minutes FROM sla_breaches ORDER BY lead_id"
    )
    assert breaches == [
        (hot, T0 + timedelta(days=8), 8 * 24 * 60 - 3 * 60),
        (warm, back_fill_at, 60),
    ]


@pytest.mark.usefixtures("prefect_server")
def test_a_moved_lead_keeps_every_column_the_move_does_not_set(warehouse, tmp_path):
    lead_id = _ingest(warehouse, tmp_path, "consultation_order", "89123456789")
    moved = ("sc_id", "arrived_at", "accept_deadline", "status", "taken_at", "postponed_until",
             "manager_id", "planned_on")  # fmt: skip
    kept = [
        name
        for (name,) in _rows(
            warehouse, "SELECT column_name FROM information_schema.columns WHERE table_name = 'leads'"
        )
        if name not in moved
    ]
    columns = ", ".join(kept)
    before = _rows(warehouse, f"SELECT {columns} FROM leads")
    assert sweep_sla(as_of=T0 + timedelta(hours=4), warehouse=str(warehouse))["transferred"] == 1
    assert _rows(warehouse, f"SELECT {columns} FROM leads") == before
    assert _rows(warehouse, "SELECT count(*), count(DISTINCT lead_id) FROM leads") == [(1, 1)]
    assert _rows(warehouse, "SELECT status FROM leads WHERE lead_id = ?", [lead_id]) == [("new",)]


def test_a_deadline_in_an_unconfirmed_year_counts_in_a_zone_ahead_of_utc(warehouse):
    first_unconfirmed = CALENDAR_CONFIRMED_BY_PACKAGE + 1
    # 06:00 on 1 January in Vladivostok (UTC+10) is still the evening of 31 December in UTC
    due = datetime(first_unconfirmed - 1, 12, 31, 20, tzinfo=UTC)
    with duckdb.connect(str(warehouse)) as con:
        for lead_id, sc_id in ((1, "sc-vvo-1"), (2, "sc-msk-1")):
            con.execute(
                "INSERT INTO leads (lead_id, product, lead_type, temperature, status, source, sc_id,"
                " created_at, arrived_at, accept_deadline)"
                " VALUES (?, 'extern', 'connection', 'hot', 'new', 'call_base', ?, ?, ?, ?)",
                [lead_id, sc_id, due - timedelta(hours=3), due - timedelta(hours=3), due],
            )
    with store.reader(warehouse) as con:
        assert repo.unconfirmed_deadlines(con) == 1  # Moscow's is still in the confirmed year
