"""SPEC §7 (§3.6): a lead whose SC lost the client's booking to another SC is blocked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb

from flows.sweeps import sweep_bookings
from tests.support import BOTH_BACKENDS
from warehouse import store

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)


def test_a_booking_that_moved_blocks_the_old_scs_leads_once(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        for lead_id, inn, sc_id in ((1, "7707083893", "sc-msk-1"), (2, "6663003127", "sc-ekb-1")):
            con.execute(
                "INSERT INTO leads (lead_id, inn, product, lead_type, temperature, status, source, sc_id,"
                " created_at, arrived_at, accept_deadline) VALUES"
                " (?, ?, 'extern', 'connection', 'warm', 'in_work', 'call_base', ?, ?, ?, ?)",
                [lead_id, inn, sc_id, T0, T0, T0 + timedelta(days=7)],
            )
            con.execute(
                "INSERT INTO bookings VALUES (?, NULL, 'extern', ?, 'lead', ?, ?, ?, NULL)",
                [inn, sc_id, T0, T0 + timedelta(days=30), lead_id],
            )
        # lead 1's client books with another SC by invoice after its own booking ended;
        # lead 2's client had another SC's invoice, but it was over before lead 2's booking ended
        con.execute(
            "INSERT INTO bookings VALUES"
            " ('7707083893', NULL, 'extern', 'sc-msk-2', 'invoice', ?, ?, NULL, 'I1'),"
            " ('6663003127', NULL, 'extern', 'sc-ekb-2', 'invoice', ?, ?, NULL, 'I2')",
            [
                T0 + timedelta(days=31),
                T0 + timedelta(days=60),
                T0 + timedelta(days=5),
                T0 + timedelta(days=10),
            ],
        )
    assert sweep_bookings(as_of=T0 + timedelta(days=20), warehouse=str(warehouse))["leads_blocked"] == 0
    first = sweep_bookings(as_of=T0 + timedelta(days=32), warehouse=str(warehouse))
    again = sweep_bookings(as_of=T0 + timedelta(days=33), warehouse=str(warehouse))
    assert (first["leads_blocked"], again["leads_blocked"]) == (1, 0)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        statuses = dict(con.sql("SELECT lead_id, status FROM leads").fetchall())
        (detail,) = con.sql("SELECT detail FROM lead_events WHERE kind = 'blocked'").fetchall()[0]
    assert statuses == {1: "blocked", 2: "in_work"}
    reason = json.loads(detail)
    assert (reason["ended_sc"], reason["holder_sc"], reason["holder_kind"]) == (
        "sc-msk-1",
        "sc-msk-2",
        "invoice",
    )


@BOTH_BACKENDS
def test_the_sla_sweep_assigns_leads_that_waited_for_an_sc(warehouse, tmp_path):
    from flows.ingest import ingest_feed
    from flows.sweeps import sweep_sla

    feed = tmp_path / "far.csv"
    feed.write_text("inn,region,product,phone\n7707083893,87,extern,89123456789\n", encoding="utf-8")
    summary = ingest_feed(path=str(feed), source="demo_order", as_of=T0, warehouse=str(warehouse))
    assert summary["unassigned"] == 1
    assert sweep_sla(as_of=T0 + timedelta(hours=1), warehouse=str(warehouse))["waiting_assigned"] == 0
    with store.transaction(warehouse) as con:  # the network grows: an SC now serves region 87
        con.execute(
            "UPDATE service_centers SET regions = list_append(regions, '87') WHERE sc_id = 'sc-vvo-1'"
        )
    later = T0 + timedelta(hours=2)
    assert sweep_sla(as_of=later, warehouse=str(warehouse))["waiting_assigned"] == 1
    assert sweep_sla(as_of=later, warehouse=str(warehouse))["waiting_assigned"] == 0
    with store.reader(warehouse) as con:
        row = con.sql("SELECT sc_id, arrived_at, accept_deadline FROM leads").fetchall()[0]
        booked = con.sql("SELECT sc_id FROM bookings").fetchall()
    assert row == ("sc-vvo-1", later, later + timedelta(days=7))
    assert booked == [("sc-vvo-1",)]
