"""SPEC §6.1 and §6.2: dealing leads to managers and distributing them over a period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.mass_actions import assign_managers, distribute
from schemas.errors import PipelineError
from tasks.mass import deal_to_managers, plan_distribution

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)


def test_dealing_goes_round_the_managers_most_urgent_first():
    leads = pl.DataFrame(
        {
            "lead_id": [1, 2, 3, 4, 5, 6],
            "accept_deadline": [T0 + timedelta(hours=h) for h in (5, 1, 3, 2, 4, 0)],
        }
    ).with_columns(pl.col("accept_deadline").cast(pl.Datetime("us", "UTC")))
    dealt = deal_to_managers(leads, {"anna": 1, "boris": 3, "vera": 5})
    expected = pl.DataFrame(
        {
            "lead_id": [6, 2, 4, 3, 5, 1],
            "manager_id": ["anna", "boris", "vera", "boris", "vera", "boris"],
        }
    )
    assert_frame_equal(dealt, expected, check_dtypes=False)


def test_a_short_selection_deals_what_there_is():
    leads = pl.DataFrame({"lead_id": [1], "accept_deadline": [T0]})
    assert deal_to_managers(leads, {"anna": 2, "boris": 2})["manager_id"].to_list() == ["anna"]


def test_a_count_beyond_the_selection_deals_it_all_without_building_empty_slots():
    leads = pl.DataFrame({"lead_id": [1, 2, 3], "accept_deadline": [T0, T0, T0]})
    dealt = deal_to_managers(leads, {"anna": 10**20, "boris": 1})
    assert dealt["manager_id"].to_list() == ["anna", "boris", "anna"]


def _days(first: date, working: list[bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {"day": [first + timedelta(days=i) for i in range(len(working))], "is_working": working}
    )


def test_distribution_plans_working_days_only_a_working_saturday_included():
    # 2025-10-31 Friday, 1 November a working Saturday, 2-4 November off (Sunday, a day off,
    # the holiday), 5 November Wednesday
    days = _days(date(2025, 10, 31), [True, True, False, False, False, True])
    leads = pl.DataFrame(
        {
            "lead_id": [1, 2, 3, 4, 5, 6],
            "temperature": ["warm", "warm", "cold", "cold", "cold", "cold"],
            "deadline_day": [date(2025, 11, 7)] * 2 + [date(2025, 11, 3)] * 3 + [date(2025, 12, 1)],
        }
    )
    plan = dict(plan_distribution(leads, days).iter_rows())  # 3 working days, quota 2
    assert plan == {
        1: date(2025, 10, 31),
        2: date(2025, 10, 31),
        3: date(2025, 11, 1),
        4: date(2025, 11, 1),
        5: date(2025, 11, 1),  # due on the day off: its last working day before, not Sunday
        6: date(2025, 11, 5),
    }
    overdue = pl.DataFrame({"lead_id": [7], "temperature": ["cold"], "deadline_day": [date(2025, 10, 1)]})
    assert plan_distribution(overdue, days.tail(3))["planned_on"].to_list() == [date(2025, 11, 5)]


def test_distribution_warm_first_cold_last_even_quota_never_after_deadline():
    leads = pl.DataFrame(
        {
            "lead_id": [1, 2, 3, 4, 5, 6, 7],
            "temperature": ["cold", "warm", "cold", "warm", "cold", "warm", "cold"],
            "deadline_day": [
                date(2026, 4, 1),
                date(2026, 3, 9),
                date(2026, 3, 3),
                date(2026, 3, 9),
                date(2026, 4, 1),
                date(2026, 3, 2),
                date(2026, 4, 1),
            ],
        }
    )
    plan = plan_distribution(leads, _days(date(2026, 3, 2), [True] * 4))  # Mon-Thu, quota 2
    expected = {
        6: date(2026, 3, 2),
        2: date(2026, 3, 2),
        4: date(2026, 3, 3),
        3: date(2026, 3, 3),
        1: date(2026, 3, 4),
        5: date(2026, 3, 4),
        7: date(2026, 3, 5),
    }
    assert dict(plan.iter_rows()) == expected
    per_day = plan.group_by("planned_on").len()["len"]
    assert per_day.max() <= 2


def _leads(warehouse: Path, rows: list[tuple[int, str, str, datetime]]) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for lead_id, temperature, status, deadline in rows:
            con.execute(
                "INSERT INTO leads (lead_id, product, lead_type, temperature, status, source, sc_id,"
                " created_at, arrived_at, accept_deadline) VALUES"
                " (?, 'extern', 'connection', ?, ?, 'call_base', 'sc-ekb-1', ?, ?, ?)",
                [lead_id, temperature, status, T0, T0, deadline],
            )


def test_mass_actions_end_to_end(warehouse):
    _leads(
        warehouse,
        [
            (1, "hot", "new", T0 + timedelta(hours=3)),
            (2, "warm", "new", T0 + timedelta(days=7)),
            (3, "cold", "in_work", T0 + timedelta(days=30)),
            (4, "cold", "new", T0 + timedelta(days=30)),
            (5, "warm", "completed", T0 + timedelta(days=7)),
        ],
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        managers = [
            m
            for (m,) in con.sql(
                "SELECT manager_id FROM managers WHERE sc_id = 'sc-ekb-1' ORDER BY 1"
            ).fetchall()
        ]
        foreign = con.sql("SELECT manager_id FROM managers WHERE sc_id <> 'sc-ekb-1' LIMIT 1").fetchall()[0][
            0
        ]
    with pytest.raises(PipelineError, match=f"manager '{foreign}' works at"):
        assign_managers(sc_id="sc-ekb-1", counts={foreign: 1}, warehouse=str(warehouse), as_of=T0)
    with pytest.raises(PipelineError, match="product 'abacus' is not in the reference data"):
        assign_managers(
            sc_id="sc-ekb-1", counts={managers[0]: 1}, product="abacus", warehouse=str(warehouse), as_of=T0
        )
    result = assign_managers(  # codes in any case (SPEC §16)
        sc_id="SC-EKB-1",
        counts={managers[0]: 3, managers[1]: 3},
        product="Extern",
        warehouse=str(warehouse),
        as_of=T0,
    )
    assert result["selected"] == 4
    assert sum(result["dealt"].values()) == 4
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.sql("SELECT manager_id FROM leads WHERE lead_id = 1").fetchall() == [(managers[0],)]
        assert con.sql("SELECT manager_id FROM leads WHERE lead_id = 5").fetchall() == [(None,)]

    planned = distribute(
        sc_id="sc-ekb-1", start=date(2026, 3, 3), end=date(2026, 3, 4), warehouse=str(warehouse), as_of=T0
    )
    assert (planned["planned"], planned["hot_refused"]) == (2, 1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        plans = dict(con.sql("SELECT lead_id, planned_on FROM leads WHERE planned_on IS NOT NULL").fetchall())
        temperatures = dict(con.sql("SELECT lead_id, temperature FROM leads").fetchall())
    assert plans == {2: date(2026, 3, 3), 4: date(2026, 3, 4)}
    assert temperatures[2] == "warm"
    assert temperatures[4] == "cold"
    with pytest.raises(PipelineError, match="is before --start"):
        distribute(sc_id="sc-ekb-1", start=date(2026, 3, 4), end=date(2026, 3, 3), warehouse=str(warehouse))


def test_distribution_skips_the_weekend_and_the_holiday_of_the_stored_calendar(warehouse):
    _leads(
        warehouse, [(1, "warm", "new", T0 + timedelta(days=7)), (2, "cold", "new", T0 + timedelta(days=30))]
    )
    # 2026-03-06 Friday; 7-8 March the weekend, 9 March the day off for Women's Day
    planned = distribute(
        sc_id="SC-EKB-1", start=date(2026, 3, 6), end=date(2026, 3, 10), warehouse=str(warehouse), as_of=T0
    )
    assert planned["per_day"] == [("2026-03-06", 1), ("2026-03-10", 1)]
    with pytest.raises(PipelineError, match="2026-03-07 to 2026-03-09 has no working day"):
        distribute(
            sc_id="sc-ekb-1", start=date(2026, 3, 7), end=date(2026, 3, 9), warehouse=str(warehouse), as_of=T0
        )
    with pytest.raises(PipelineError, match="outside the production calendar the warehouse holds"):
        distribute(
            sc_id="sc-ekb-1",
            start=date(2041, 12, 1),
            end=date(2042, 1, 31),
            warehouse=str(warehouse),
            as_of=T0,
        )


def _planned_and_managers(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("SELECT lead_id, planned_on, manager_id FROM leads ORDER BY lead_id").fetchall()


def test_mass_actions_dated_before_a_leads_last_event_are_refused_and_write_nothing(warehouse):
    _leads(
        warehouse, [(1, "warm", "new", T0 + timedelta(days=7)), (2, "cold", "new", T0 + timedelta(days=30))]
    )
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO lead_events VALUES (2, ?, 'stage', 'sc:sc-ekb-1', '{}')", [T0 + timedelta(days=1)]
        )
        manager = con.sql("SELECT min(manager_id) FROM managers WHERE sc_id = 'sc-ekb-1'").fetchall()[0][0]
    before = _planned_and_managers(warehouse)
    refusal = (
        "lead 2's last event is at 2026-03-03 11:00 +05:00 (Asia/Yekaterinburg); "
        "an action cannot be dated before it"
    )
    with pytest.raises(PipelineError) as refused:
        assign_managers(sc_id="sc-ekb-1", counts={manager: 2}, warehouse=str(warehouse), as_of=T0)
    assert str(refused.value) == refusal
    with pytest.raises(PipelineError) as refused:
        distribute(
            sc_id="sc-ekb-1", start=date(2026, 3, 3), end=date(2026, 3, 4), warehouse=str(warehouse), as_of=T0
        )
    assert str(refused.value) == refusal
    assert _planned_and_managers(warehouse) == before
