"""SPEC §14 "Explain": `pp lead show` prints the card of any lead, and why it is at its SC as
the assignment stored it when it was decided: the rule, and for the load rule the chosen SC's
load against capacity next to the runner-up's. A transferred lead names both SCs and both
deadlines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.ingest import ingest_feed
from flows.sweeps import sweep_sla
from tasks.assign import balance_by_load
from tasks.explain import local_moments, placement_reason
from tasks.lifecycle import local_moment
from tests.support import BOTH_BACKENDS, query, refused, run

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)  # Monday 09:00 in Moscow


def one_at_a_time_with_runner_up(
    leads: pl.DataFrame, eligible: pl.DataFrame, loads: dict[str, int]
) -> dict[int, tuple]:
    """The rule as written, one lead after another: the chosen SC and the runner-up, each with
    its load and capacity at that moment."""
    load = dict(loads)
    chosen: dict[int, tuple] = {}
    for lead_id, region in leads.sort("lead_id").select("lead_id", "region").iter_rows():
        pool = sorted(
            (
                (load.get(sc, 0) / capacity, sc, load.get(sc, 0), capacity)
                for sc, capacity in eligible.filter(pl.col("region") == region)
                .select("sc_id", "capacity")
                .iter_rows()
            ),
        )
        best, runner_up = pool[0], (pool[1] if len(pool) > 1 else (None, None, None, None))
        chosen[lead_id] = (best[1], best[2], best[3], runner_up[1], runner_up[2], runner_up[3])
        load[best[1]] = load.get(best[1], 0) + 1
    return chosen


def _as_dealt(result: pl.DataFrame) -> dict[int, tuple]:
    columns = (
        "sc_id",
        "sc_open_leads",
        "sc_capacity",
        "runner_up_sc",
        "runner_up_open_leads",
        "runner_up_capacity",
    )
    return {row[0]: tuple(row[1:]) for row in result.select("lead_id", *columns).iter_rows()}


def test_the_load_rule_returns_its_choice_with_the_runner_up():
    eligible = pl.DataFrame(
        {
            "region": ["66", "66"],
            "product": ["extern"] * 2,
            "sc_id": ["ekb-1", "ekb-2"],
            "capacity": [10.0, 20.0],
        }
    )
    leads = pl.DataFrame({"lead_id": [1, 2, 3], "region": ["66"] * 3, "product": ["extern"] * 3})
    loads = pl.DataFrame({"sc_id": ["ekb-1"], "open_leads": [1]})
    assert _as_dealt(balance_by_load(leads, eligible, loads)) == {
        1: ("ekb-2", 0, 20.0, "ekb-1", 1, 10.0),  # 0/20 beats 1/10
        2: ("ekb-2", 1, 20.0, "ekb-1", 1, 10.0),  # 1/20 beats 1/10
        3: ("ekb-1", 1, 10.0, "ekb-2", 2, 20.0),  # 1/10 ties 2/20: the lower id
    }


def test_a_lone_eligible_sc_has_no_runner_up():
    eligible = pl.DataFrame({"region": ["39"], "product": ["extern"], "sc_id": ["kgd-1"], "capacity": [8.0]})
    leads = pl.DataFrame({"lead_id": [1], "region": ["39"], "product": ["extern"]})
    loads = pl.DataFrame(schema={"sc_id": pl.String, "open_leads": pl.Int64})
    assert _as_dealt(balance_by_load(leads, eligible, loads)) == {1: ("kgd-1", 0, 8.0, None, None, None)}


@settings(max_examples=60, deadline=None)
@given(
    regions=st.lists(st.sampled_from(["66", "77"]), min_size=1, max_size=30),
    capacities=st.lists(st.integers(1, 9), min_size=4, max_size=4),
    loads=st.lists(st.integers(0, 12), min_size=4, max_size=4),
)
def test_the_runner_up_is_the_one_at_a_time_rules_second_best(regions, capacities, loads):
    eligible = pl.DataFrame(
        {
            "region": ["66", "66", "66", "77"],
            "product": ["extern"] * 4,
            "sc_id": ["a", "b", "c", "d"],
            "capacity": [float(c) for c in capacities],
        }
    )
    leads = pl.DataFrame(
        {"lead_id": list(range(1, len(regions) + 1)), "region": regions, "product": ["extern"] * len(regions)}
    )
    current = dict(zip("abcd", loads, strict=True))
    frame = pl.DataFrame({"sc_id": list(current), "open_leads": list(current.values())})
    assert _as_dealt(balance_by_load(leads, eligible, frame)) == one_at_a_time_with_runner_up(
        leads, eligible, current
    )


def test_the_reason_says_the_rule_and_the_figures_it_compared():
    detail = {
        "sc_id": "sc-msk-2",
        "rule": "load",
        "sc_open_leads": 3,
        "sc_capacity": 30.0,
        "runner_up_sc": "sc-msk-1",
        "runner_up_open_leads": 5,
        "runner_up_capacity": 40.0,
    }
    assert placement_reason("assigned", detail) == (
        "the lowest open-lead load against capacity of the eligible SCs (§6 rule 3): sc-msk-2 had "
        "3 open leads for capacity 30 (0.10); the runner-up sc-msk-1 had 5 open leads for capacity 40 (0.12)"
    )
    assert placement_reason("assigned", {"sc_id": "sc-msk-2", "rule": "booking"}).startswith(
        "the client x product is booked at this SC"
    )
    moved = {"from_sc": "sc-msk-1", "to_sc": "sc-msk-3", "reason": "breach"}
    assert placement_reason("transferred", moved).startswith(
        "moved from sc-msk-1 after it missed its deadline"
    )


def test_local_moments_read_as_the_single_lead_commands_write_them():
    instants = [datetime(2026, 3, 6, 11, 5, tzinfo=UTC), datetime(2026, 3, 6, 11, 5, 7, tzinfo=UTC)]
    zones = ["Asia/Yekaterinburg", "Europe/Kaliningrad"]
    frame = pl.DataFrame({"at": instants, "timezone": zones})
    shown = frame.select(local_moments("at", zones))["at"].to_list()
    assert shown == [local_moment(at, zone) for at, zone in zip(instants, zones, strict=True)]


def _ingest(warehouse, tmp_path, rows: list[str], at: datetime, source: str = "consultation_order") -> None:
    feed = tmp_path / f"{source}-{at:%H%M}-{len(rows)}.csv"
    feed.write_text("inn,region,product,phone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ingest_feed(path=str(feed), source=source, as_of=at, warehouse=str(warehouse))


def _show(monkeypatch, capsys, warehouse, lead_id: int, *options: str) -> str:
    code, out, err = run(
        monkeypatch, capsys, "--warehouse", str(warehouse), "lead", "show", str(lead_id), *options
    )
    assert code == 0, out + err
    return out


def test_the_assigned_event_keeps_the_load_rules_figures(warehouse, tmp_path):
    """Region 50 x extern: sc-msk-1 (capacity 40), sc-msk-2 (30), sc-msk-3 (15)."""
    phones = ("89123456781", "89123456782", "89123456783")
    inns = ("7707083893", "7736050003", "7710140679")
    _ingest(
        warehouse, tmp_path, [f"{inn},50,extern,{phone}" for inn, phone in zip(inns, phones, strict=True)], T0
    )
    details = query(warehouse, "SELECT detail FROM lead_events WHERE kind = 'assigned' ORDER BY lead_id")[
        "detail"
    ]
    recorded = [json.loads(d) for d in details]
    assert [
        (d["sc_id"], d["sc_open_leads"], d["runner_up_sc"], d["runner_up_open_leads"]) for d in recorded
    ] == [
        ("sc-msk-1", 0, "sc-msk-2", 0),  # all at 0: by SC id
        ("sc-msk-2", 0, "sc-msk-3", 0),  # sc-msk-1 now 1/40
        ("sc-msk-3", 0, "sc-msk-1", 1),  # 1/40 = 0.025 beats 1/30
    ]
    assert recorded[0]["accept_deadline"] == "2026-03-02T09:00:00+0000"  # 3 working hours from 09:00 Moscow


@BOTH_BACKENDS
def test_a_transferred_lead_names_both_scs_and_both_deadlines(monkeypatch, capsys, warehouse, tmp_path):
    _ingest(warehouse, tmp_path, ["7707083893,50,extern,89123456789"], T0)
    at = T0 + timedelta(hours=4)  # 13:00 Moscow: the 12:00 deadline at sc-msk-1 was missed
    assert sweep_sla(as_of=at, warehouse=str(warehouse))["transferred"] == 1
    shown = _show(monkeypatch, capsys, warehouse, 1, "--as-of", at.isoformat())
    assert "sc-msk-1" in shown
    assert "sc-msk-2" in shown
    assert "2026-03-02 12:00 +03:00 (Europe/Moscow)" in shown  # the deadline missed at sc-msk-1
    assert "2026-03-02 16:00 +03:00 (Europe/Moscow)" in shown  # the new one at sc-msk-2
    assert "moved from sc-msk-1 after it missed its deadline" in shown

    card = json.loads(_show(monkeypatch, capsys, warehouse, 1, "--as-of", at.isoformat(), "--json"))
    assert [(s["sc_id"], s["how"], s["accept_deadline_local"]) for s in card["stays"]] == [
        ("sc-msk-1", "assigned", "2026-03-02 12:00 +03:00 (Europe/Moscow)"),
        ("sc-msk-2", "transferred", "2026-03-02 16:00 +03:00 (Europe/Moscow)"),
    ]
    assert [e["kind"] for e in card["history"]] == ["created", "assigned", "transferred"]
    assert card["breaches"][0]["sc_id"] == "sc-msk-1"
    assert card["lead"]["accept_deadline_local"] == "2026-03-02 16:00 +03:00 (Europe/Moscow)"


def test_the_card_explains_the_load_rule_with_the_runner_up(monkeypatch, capsys, warehouse, tmp_path):
    _ingest(warehouse, tmp_path, ["7707083893,50,extern,89123456781", "7736050003,50,extern,89123456782"], T0)
    card = json.loads(_show(monkeypatch, capsys, warehouse, 2, "--json"))
    assert card["why"].endswith(
        "sc-msk-2 had 0 open leads for capacity 30 (0.00); "
        "the runner-up sc-msk-3 had 0 open leads for capacity 15 (0.00)"
    )
    assert card["lead"]["sc_name"] == "ООО «Деловой центр Замоскворечье»"
    assert card["contacts"] == [{"kind": "phone", "value": "+79123456782"}]
    assert card["lead"]["created_at_local"] == "2026-03-02 09:00 +03:00 (Europe/Moscow)"
    table = _show(monkeypatch, capsys, warehouse, 2)
    assert "the runner-up sc-msk-3" in table
    assert "7736050003" in table


def test_a_waiting_lead_says_why_it_waits(monkeypatch, capsys, warehouse, tmp_path):
    _ingest(warehouse, tmp_path, ["7707083893,01,extern,89123456789"], T0)
    card = json.loads(_show(monkeypatch, capsys, warehouse, 1, "--json"))
    assert card["why"] == "waiting for an SC: no SC serves region 01"
    assert card["stays"] == []
    assert card["lead"]["created_at_local"] == "2026-03-02 06:00 +00:00 (UTC)"


def test_an_unknown_lead_is_one_line(monkeypatch, capsys, warehouse):
    _, err = refused(monkeypatch, capsys, warehouse, "lead", "show", "999")
    assert "lead 999 does not exist" in err
