"""Production calendar and accept deadlines (SPEC §2, §10) against known days and the oracle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from schemas.instants import UTC_US
from schemas.rules import WORKDAY_MINUTES
from tasks.calendar import (
    add_accept_deadlines,
    hot_deadline_one,
    production_calendar,
)

DAY_SECONDS = WORKDAY_MINUTES * 60
MSK = "Europe/Moscow"
ZONES = [
    "Europe/Kaliningrad",
    MSK,
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Irkutsk",
    "Asia/Vladivostok",
    "Asia/Kamchatka",
]


@cache
def calendar() -> pl.DataFrame:
    return production_calendar(2024, 2027)


@cache
def working_flags() -> dict[date, bool]:
    return dict(zip(calendar()["day"], calendar()["is_working"], strict=True))


def is_working(day: date) -> bool:
    return working_flags()[day]


def local(zone: str, *wall: int) -> datetime:
    """An SC-local wall-clock instant (year, month, day, hour, ...), expressed in UTC."""
    year, month, day, *clock = wall
    hour, minute, second, micro = [*clock, 0, 0, 0, 0][:4]
    return datetime(year, month, day, hour, minute, second, micro, ZoneInfo(zone)).astimezone(UTC)


Row = tuple[datetime | None, str | None, str | None]


def frame(rows: Sequence[Row]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"arrived_at": UTC_US, "timezone": pl.String, "temperature": pl.String},
        orient="row",
    )


def deadlines(rows: Sequence[Row]) -> list[datetime | None]:
    return add_accept_deadlines(frame(rows), calendar())["accept_deadline"].to_list()


# --- production calendar -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 4, 27), True),  # working Saturday
        (date(2024, 11, 2), True),  # working Saturday
        (date(2024, 12, 28), True),  # working Saturday
        (date(2025, 11, 1), True),  # working Saturday
        *[(date(2026, 1, d), False) for d in range(1, 10)],  # New Year holidays
        (date(2026, 1, 12), True),
        (date(2026, 2, 23), False),
        (date(2026, 3, 9), False),  # transferred day off
        (date(2026, 5, 1), False),
        (date(2026, 5, 11), False),
        (date(2026, 6, 12), False),
        (date(2026, 11, 4), False),
        (date(2026, 12, 31), False),
        (date(2025, 12, 31), False),
        (date(2026, 3, 2), True),  # an ordinary Monday
        (date(2026, 3, 7), False),  # an ordinary Saturday
        (date(2026, 3, 8), False),  # an ordinary Sunday
    ],
)
def test_known_days(day: date, working: bool) -> None:
    assert is_working(day) is working


def test_calendar_shape_and_cumulative_seconds() -> None:
    cal = calendar()
    assert cal.schema == pl.Schema({"day": pl.Date, "is_working": pl.Boolean, "cum_start": pl.Int64})
    assert cal.height == 366 + 365 + 365 + 365
    assert cal["day"].is_sorted()
    assert cal["cum_start"][0] == 0
    expected = (pl.col("is_working").cast(pl.Int64) * DAY_SECONDS).cum_sum().shift(1, fill_value=0)
    assert_frame_equal(cal.select("cum_start"), cal.select(expected.alias("cum_start")))
    # a day off carries the cum_start of the next working day
    week = cal.filter(pl.col("day").is_between(date(2026, 3, 6), date(2026, 3, 10)))
    assert week["cum_start"].to_list()[1:] == [week["cum_start"][0] + DAY_SECONDS] * 4


def test_overrides_win_over_the_package() -> None:
    overrides = pl.DataFrame(
        {"date": [date(2026, 3, 2), date(2026, 3, 7)], "kind": ["holiday", "workday"]},
        schema={"date": pl.Date, "kind": pl.String},
    )
    cal = production_calendar(2026, 2026, overrides)
    flags = dict(zip(cal["day"], cal["is_working"], strict=True))
    assert flags[date(2026, 3, 2)] is False
    assert flags[date(2026, 3, 7)] is True
    assert flags[date(2026, 3, 3)] is True
    assert flags[date(2026, 3, 8)] is False
    plain = production_calendar(2026, 2026)
    assert cal["cum_start"][-1] == plain["cum_start"][-1]  # one day lost, one gained


def test_unknown_override_kind_is_rejected() -> None:
    overrides = pl.DataFrame({"date": [date(2026, 3, 2)], "kind": ["shortened"]})
    with pytest.raises(ValueError, match="shortened"):
        production_calendar(2026, 2026, overrides)


# --- deadlines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrived", "zone", "expected"),
    [
        pytest.param((2026, 3, 6, 16, 30), MSK, (2026, 3, 10, 10, 30), id="friday-before-holiday-monday"),
        pytest.param((2026, 3, 4, 19, 15), MSK, (2026, 3, 5, 12, 0), id="after-18"),
        pytest.param((2026, 3, 4, 7, 0), MSK, (2026, 3, 4, 12, 0), id="before-09"),
        pytest.param((2026, 3, 4, 15, 0), MSK, (2026, 3, 4, 18, 0), id="15-gives-18-same-day"),
        pytest.param((2026, 3, 4, 18, 0), MSK, (2026, 3, 5, 12, 0), id="exactly-18"),
        pytest.param((2026, 3, 4, 9, 0), MSK, (2026, 3, 4, 12, 0), id="exactly-09"),
        pytest.param((2026, 3, 7, 11, 0), MSK, (2026, 3, 10, 12, 0), id="ordinary-saturday"),
        pytest.param((2024, 4, 27, 10, 0), MSK, (2024, 4, 27, 13, 0), id="working-saturday"),
        pytest.param((2024, 4, 26, 17, 0), MSK, (2024, 4, 27, 11, 0), id="friday-into-working-saturday"),
        pytest.param((2025, 12, 30, 17, 0), MSK, (2026, 1, 12, 11, 0), id="new-year-holidays"),
        pytest.param((2026, 3, 4, 16, 59, 30), MSK, (2026, 3, 5, 10, 59, 30), id="seconds-kept"),
        pytest.param(
            (2026, 3, 4, 10, 17, 42, 123456),
            MSK,
            (2026, 3, 4, 13, 17, 42, 123456),
            id="microseconds-kept",
        ),
        pytest.param((2026, 3, 6, 16, 30), "Asia/Vladivostok", (2026, 3, 10, 10, 30), id="vladivostok"),
    ],
)
def test_hot_deadline_cases(arrived: tuple[int, ...], zone: str, expected: tuple[int, ...]) -> None:
    arrived_at = local(zone, *arrived)
    want = local(zone, *expected)
    assert deadlines([(arrived_at, zone, "hot")]) == [want]
    assert hot_deadline_one(arrived_at, zone, is_working) == want


def test_same_instant_differs_by_zone() -> None:
    instant = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)  # a Wednesday
    cases = {
        "Europe/Kaliningrad": local("Europe/Kaliningrad", 2026, 3, 4, 12, 0),  # 08:00 local
        "Asia/Yekaterinburg": local("Asia/Yekaterinburg", 2026, 3, 4, 14, 0),  # 11:00 local
        "Asia/Vladivostok": local("Asia/Vladivostok", 2026, 3, 5, 10, 0),  # 16:00 local
    }
    got = deadlines([(instant, zone, "hot") for zone in cases])
    assert got == list(cases.values())
    assert len(set(got)) == 3


def test_warm_and_cold_are_exact_instants() -> None:
    arrived = datetime(2026, 3, 6, 13, 30, 15, 500_000, tzinfo=UTC)
    got = deadlines([(arrived, "Asia/Vladivostok", "warm"), (arrived, MSK, "cold")])
    assert got == [arrived + timedelta(days=7), arrived + timedelta(days=30)]


def test_nulls_stay_null() -> None:
    arrived = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)
    rows: list[Row] = [
        (None, MSK, "hot"),
        (None, MSK, "warm"),
        (arrived, None, "hot"),
        (arrived, None, "cold"),
        (arrived, MSK, None),
        (arrived, MSK, "hot"),
    ]
    got = deadlines(rows)
    assert got[:5] == [None] * 5
    assert got[5] is not None


def test_row_order_and_other_columns_preserved_with_mixed_zones() -> None:
    base = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    temps = ["hot", "hot", "warm", "hot", "cold", "hot"]
    rows = [
        (base + timedelta(hours=7 * i, minutes=13 * i), ZONES[(5 * i) % len(ZONES)], temps[i % 6])
        for i in range(40)
    ]
    source = frame(rows).with_columns(lead_id=pl.int_range(pl.len(), 0, -1))
    got = add_accept_deadlines(source, calendar())

    def oracle(at: datetime, zone: str, temperature: str) -> datetime:
        if temperature == "hot":
            return hot_deadline_one(at, zone, is_working)
        return at + timedelta(days=7 if temperature == "warm" else 30)

    expected = source.with_columns(accept_deadline=pl.Series([oracle(*row) for row in rows], dtype=UTC_US))
    assert_frame_equal(got, expected)


def test_empty_frame() -> None:
    got = add_accept_deadlines(frame([]), calendar())
    assert got.height == 0
    assert got.schema["accept_deadline"] == UTC_US


def test_arrival_outside_calendar_is_rejected() -> None:
    cal = production_calendar(2026, 2026)
    with pytest.raises(ValueError, match="outside the production calendar"):
        add_accept_deadlines(frame([(local(MSK, 2025, 6, 2, 10, 0), MSK, "hot")]), cal)


def test_deadline_past_calendar_end_is_rejected() -> None:
    cal = production_calendar(2026, 2026)
    with pytest.raises(ValueError, match="past the production calendar"):
        add_accept_deadlines(frame([(local(MSK, 2026, 12, 30, 17, 0), MSK, "hot")]), cal)


# --- the vectorized path equals the per-row definition ----------------------------------


arrivals = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31, 23, 59, 59, 999_999)
).map(lambda d: d.replace(tzinfo=UTC))


@settings(deadline=None, max_examples=100)
@given(st.lists(st.tuples(arrivals, st.sampled_from(ZONES)), min_size=1, max_size=40))
def test_vectorized_equals_oracle(rows: list[tuple[datetime, str]]) -> None:
    got = deadlines([(at, zone, "hot") for at, zone in rows])
    want = [hot_deadline_one(at, zone, is_working) for at, zone in rows]
    assert got == want
    for (at, _), due in zip(rows, got, strict=True):
        assert due is not None
        assert due >= at + timedelta(hours=3)


def test_working_minutes_between_skip_the_weekend_and_holidays():
    """SPEC §12 time to take a hot lead, in SPEC §10's working time, SC-local."""
    from tasks.calendar import working_minutes_between

    vvo = "Asia/Vladivostok"
    rows = pl.DataFrame(
        {
            "timezone": [MSK, MSK, MSK, vvo, MSK],
            "arrived_at": [
                local(MSK, 2026, 2, 27, 17),  # Friday 17:00
                local(MSK, 2026, 3, 6, 17),  # Friday 17:00 before the 9 March holiday
                local(MSK, 2026, 3, 6, 17),
                local(vvo, 2026, 3, 2, 8),  # before opening: the clock starts at 09:00
                local(MSK, 2026, 3, 2, 10),
            ],
            "taken_at": [
                local(MSK, 2026, 3, 2, 10),  # Monday 10:00
                local(MSK, 2026, 3, 10, 10),  # Tuesday 10:00
                local(MSK, 2026, 3, 9, 15),  # on the holiday itself: nothing more elapsed
                local(vvo, 2026, 3, 2, 19),  # after closing: the clock stopped at 18:00
                None,
            ],
        },
        schema_overrides={"arrived_at": UTC_US, "taken_at": UTC_US},
    )
    got = working_minutes_between(rows, production_calendar(2026, 2026))
    assert got["working_minutes"].to_list() == [120.0, 120.0, 60.0, 540.0, None]
    assert got.columns == [*rows.columns, "working_minutes"]


def test_working_minutes_between_refuses_instants_outside_the_calendar():
    from tasks.calendar import working_minutes_between

    rows = pl.DataFrame(
        {
            "timezone": [MSK],
            "arrived_at": [local(MSK, 2025, 12, 31, 10)],
            "taken_at": [local(MSK, 2026, 1, 12)],
        },
        schema_overrides={"arrived_at": UTC_US, "taken_at": UTC_US},
    )
    with pytest.raises(ValueError, match="outside the production calendar"):
        working_minutes_between(rows, production_calendar(2026, 2026))
