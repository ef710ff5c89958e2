"""SPEC §15: `pp leads due` lists the open new leads by the time left to their deadline, in
working minutes on the SC's clock for hot leads, in calendar time for warm and cold ones;
overdue leads first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from flows.ingest import ingest_feed
from tasks.explain import parse_duration
from tests.support import refused, run
from warehouse import repository as repo
from warehouse import store

# Friday 6 March 2026, 17:00 Moscow. Monday 9 March is a public holiday.
AS_OF = datetime(2026, 3, 6, 14, tzinfo=UTC)
ARRIVAL = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)  # 16:30 Moscow, 20:30 Novosibirsk


def _ingest(warehouse, tmp_path, source: str, row: str, at: datetime) -> int:
    feed = tmp_path / f"{source}-{at:%d%H%M}.csv"
    feed.write_text(f"inn,region,product,phone\n{row}\n", encoding="utf-8")
    ingest_feed(path=str(feed), source=source, as_of=at, warehouse=str(warehouse))
    with store.reader(warehouse) as con:
        return int(store.scalar(con, "SELECT max(lead_id) FROM leads"))


@pytest.fixture
def leads(warehouse, tmp_path) -> dict[str, int]:
    """Two hot leads arriving at one instant in two zones, two warm ones (one 100 minutes from
    its deadline, one an hour past it) and a cold one."""
    return {
        "hot_moscow": _ingest(
            warehouse, tmp_path, "consultation_order", "7707083893,77,extern,89123456781", ARRIVAL
        ),
        "hot_novosibirsk": _ingest(
            warehouse, tmp_path, "callback_order", "5406010055,54,extern,89123456782", ARRIVAL
        ),
        "warm_soon": _ingest(
            warehouse,
            tmp_path,
            "registration",
            "7736050003,77,diadoc,89123456783",
            AS_OF - timedelta(days=7) + timedelta(minutes=100),
        ),
        "warm_overdue": _ingest(
            warehouse,
            tmp_path,
            "demo_order",
            "7710140679,50,elba,89123456784",
            AS_OF - timedelta(days=7, hours=1),
        ),
        "cold": _ingest(
            warehouse, tmp_path, "call_base", "6663003127,66,focus,89123456785", AS_OF - timedelta(days=1)
        ),
    }


def _due(monkeypatch, capsys, warehouse, *options: str) -> dict:
    args = ("--warehouse", str(warehouse), "leads", "due", "--as-of", AS_OF.isoformat(), "--json", *options)
    code, out, err = run(monkeypatch, capsys, *args)
    assert code == 0, out + err
    return json.loads(out)


def test_overdue_first_then_by_time_left_in_each_leads_own_measure(monkeypatch, capsys, warehouse, leads):
    due = _due(monkeypatch, capsys, warehouse)["leads"]
    by_id = {lead_id: name for name, lead_id in leads.items()}
    assert [(by_id[d["lead_id"]], d["minutes_left"], d["working_time"]) for d in due] == [
        ("warm_overdue", -60, False),
        ("warm_soon", 100, False),
        # Moscow: 17:00-18:00 on Friday, then 09:00-10:30 on Tuesday; the weekend and the
        # Monday holiday are not working time
        ("hot_moscow", 150, True),
        # Novosibirsk: it arrived after 18:00 local, so its 3 hours start on Tuesday, although its
        # deadline (Tuesday 12:00 local, 05:00 UTC) comes before Moscow's (07:30 UTC)
        ("hot_novosibirsk", 180, True),
        ("cold", 29 * 24 * 60, False),
    ]
    assert due[0]["overdue"] is True
    assert due[2]["accept_deadline_local"] == "2026-03-10 10:30 +03:00 (Europe/Moscow)"
    assert due[3]["accept_deadline_local"] == "2026-03-10 12:00 +07:00 (Asia/Novosibirsk)"
    assert due[2]["time_left"] == "2h 30m working"
    assert due[0]["time_left"] == "overdue by 1h 00m"
    assert due[4]["time_left"] == "29d 0h 00m"


def test_within_keeps_the_leads_with_at_most_that_long_left(monkeypatch, capsys, warehouse, leads):
    due = _due(monkeypatch, capsys, warehouse, "--within", "2h")
    assert due["within_minutes"] == 120
    assert [d["lead_id"] for d in due["leads"]] == [leads["warm_overdue"], leads["warm_soon"]]


def test_sc_narrows_to_one_service_centre(monkeypatch, capsys, warehouse, leads):
    due = _due(monkeypatch, capsys, warehouse, "--sc", "SC-NSK-1")  # codes in any case (SPEC §16)
    assert [(d["lead_id"], d["sc_id"]) for d in due["leads"]] == [(leads["hot_novosibirsk"], "sc-nsk-1")]


def test_the_table_shows_the_local_deadline_and_the_time_left(monkeypatch, capsys, warehouse, leads):
    code, out, err = run(
        monkeypatch, capsys, "--warehouse", str(warehouse), "leads", "due", "--as-of", AS_OF.isoformat()
    )
    assert code == 0, err
    assert "5 leads due (1 overdue)" in out
    assert "2026-03-10 10:30 +03:00 (Europe/Moscow)" in out
    assert "2h 30m working" in out


def test_the_query_is_a_frame_a_report_can_use(warehouse, leads):
    with store.reader(warehouse) as con:
        due = repo.leads_due(con, AS_OF, within_minutes=0)
    assert due["lead_id"].to_list() == [leads["warm_overdue"]]


@pytest.mark.parametrize(
    ("text", "minutes"), [("90m", 90), ("2h", 120), ("1d", 1440), ("1h30m", 90), ("0m", 0)]
)
def test_a_duration_is_minutes(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--within", "2 hours"], "--within '2 hours' is not a duration; use e.g. 90m, 2h or 1d"),
        (["--within", "-1h"], "--within '-1h' is not a duration"),
        (["--sc", "sc-nowhere"], "unknown service centre 'sc-nowhere'"),
        (["--as-of", "tomorrow"], "--as-of 'tomorrow' is not an ISO 8601 instant"),
    ],
)
def test_bad_options_are_one_line(monkeypatch, capsys, warehouse, args, message):
    _, err = refused(monkeypatch, capsys, warehouse, "leads", "due", *args)
    assert message in err
