"""SPEC §7 (§3.6) on both backends: which leads the booking sweep finds stale, at which
`as_of`, with which reason, and what blocking leaves of the rest of the lead."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flows.sweeps import sweep_bookings
from tests.support import BOTH_BACKENDS, query
from warehouse import store

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)
DAY = timedelta(days=1)

# lead_id, inn, lead's SC, status
LEADS = (
    (1, "7707083893", "sc-msk-1", "in_work"),  # its SC's booking ended, two other SCs hold the client
    (2, "7707083893", "sc-msk-1", "completed"),  # the same, but closed: stays as it is
    (3, "6663003127", "sc-ekb-1", "in_work"),  # one of its SC's bookings ended, another is in force
    (4, "5408131553", "sc-nsk-1", "new"),  # its SC's booking ended, no other SC holds the client
    (5, "1655018018", "sc-kzn-1", "in_work"),  # another SC holds the client only from day 40
)

# inn, SC, kind, starts after T0, ends after T0 (days)
BOOKINGS = (
    ("7707083893", "sc-msk-1", "lead", 0, 20),
    ("7707083893", "sc-msk-1", "invoice", 5, 25),  # the later end is the one the reason gives
    ("7707083893", "sc-msk-3", "paid_period", 28, 90),  # the first holder by start
    ("7707083893", "sc-msk-2", "invoice", 29, 90),
    ("6663003127", "sc-ekb-1", "lead", 0, 20),
    ("6663003127", "sc-ekb-1", "paid_period", 10, 90),
    ("6663003127", "sc-ekb-2", "invoice", 25, 90),
    ("5408131553", "sc-nsk-1", "lead", 0, 20),
    ("1655018018", "sc-kzn-1", "lead", 0, 20),
    ("1655018018", "sc-kzn-2", "invoice", 40, 90),
)


def _seed(warehouse) -> None:
    with store.transaction(warehouse) as con:
        for lead_id, inn, sc_id, status in LEADS:
            con.execute(
                "INSERT INTO leads (lead_id, inn, product, lead_type, temperature, status, source, sc_id,"
                " manager_id, created_at, arrived_at, accept_deadline, taken_at) VALUES"
                " (?, ?, 'extern', 'connection', 'warm', ?, 'call_base', ?, 'm-1', ?, ?, ?, ?)",
                [lead_id, inn, status, sc_id, T0, T0, T0 + 7 * DAY, T0 + DAY],
            )
        for inn, sc_id, kind, starts, ends in BOOKINGS:
            con.execute(
                "INSERT INTO bookings VALUES (?, NULL, 'extern', ?, ?, ?, ?, NULL, NULL)",
                [inn, sc_id, kind, T0 + starts * DAY, T0 + ends * DAY],
            )


@BOTH_BACKENDS
def test_only_open_leads_whose_sc_lost_the_client_are_blocked_as_at_each_as_of(warehouse):
    _seed(warehouse)
    before = query(warehouse, "SELECT * FROM leads ORDER BY lead_id")
    earlier = sweep_bookings(as_of=T0 + 27 * DAY, warehouse=str(warehouse))  # no other SC holds one yet
    first = sweep_bookings(as_of=T0 + 30 * DAY, warehouse=str(warehouse))
    again = sweep_bookings(as_of=T0 + 30 * DAY, warehouse=str(warehouse))
    later = sweep_bookings(as_of=T0 + 41 * DAY, warehouse=str(warehouse))
    assert [s["leads_blocked"] for s in (earlier, first, again, later)] == [0, 1, 0, 1]

    after = query(warehouse, "SELECT * FROM leads ORDER BY lead_id")
    assert dict(zip(after["lead_id"], after["status"], strict=True)) == {
        1: "blocked",
        2: "completed",
        3: "in_work",
        4: "new",
        5: "blocked",
    }
    assert after["closed_at"].to_list()[0] == T0 + 30 * DAY
    assert after["closed_at"].to_list()[4] == T0 + 41 * DAY
    unchanged = [c for c in before.columns if c not in ("status", "closed_at")]
    assert after.select(unchanged).equals(before.select(unchanged))  # nothing else of a lead moves

    events = query(
        warehouse, "SELECT lead_id, detail FROM lead_events WHERE kind = 'blocked' ORDER BY lead_id"
    )
    reasons = {lead_id: json.loads(detail) for lead_id, detail in events.iter_rows()}
    assert set(reasons) == {1, 5}
    assert (reasons[1]["ended_sc"], reasons[1]["holder_sc"], reasons[1]["holder_kind"]) == (
        "sc-msk-1",
        "sc-msk-3",
        "paid_period",
    )
    assert datetime.fromisoformat(reasons[1]["ended_at"]) == T0 + 25 * DAY
    assert (reasons[5]["ended_sc"], reasons[5]["holder_sc"]) == ("sc-kzn-1", "sc-kzn-2")
