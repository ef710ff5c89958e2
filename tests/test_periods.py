"""Periods and quarter ends on an SC's own calendar (SPEC §11 §9.1.2, §12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from schemas.errors import PipelineError
from tasks.periods import bounds_by_centre, parse_period, period_of, quarter_end


@pytest.mark.parametrize(
    ("text", "first", "end"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-03", date(2026, 3, 1), date(2026, 4, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-W10", date(2026, 3, 2), date(2026, 3, 9)),
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 4)),  # 2026 has 53 ISO weeks
    ],
)
def test_periods_name_local_day_ranges(text, first, end):
    period = parse_period(text)
    assert (period.first_day, period.end_day) == (first, end)


@pytest.mark.parametrize("text", ["2026", "2026-Q5", "2026-13", "2025-W53", "Q1-2026", ""])
def test_a_bad_period_is_a_user_error_that_shows_the_forms(text):
    with pytest.raises(PipelineError, match="2026-Q1, 2026-03 or 2026-W10"):
        parse_period(text)


def test_quarter_end_is_reckoned_in_the_centres_zone():
    # 31 March 23:30 in Vladivostok (UTC+10) is 13:30 UTC: still Q1 there, which ends at
    # 1 April 00:00 local = 31 March 14:00 UTC; the same instant is Q1 in Kaliningrad too,
    # ending 31 March 22:00 UTC.
    instant = datetime(2026, 3, 31, 13, 30, tzinfo=UTC)
    assert quarter_end(instant, "Asia/Vladivostok") == datetime(2026, 3, 31, 14, tzinfo=UTC)
    assert quarter_end(instant, "Europe/Kaliningrad") == datetime(2026, 3, 31, 22, tzinfo=UTC)
    # 31 March 21:30 UTC is already 1 April 00:30 in Moscow: Q2 ends 30 June 21:00 UTC,
    # while in Kaliningrad (23:30 on 31 March) it is still Q1.
    late = datetime(2026, 3, 31, 21, 30, tzinfo=UTC)
    assert quarter_end(late, "Europe/Moscow") == datetime(2026, 6, 30, 21, tzinfo=UTC)
    assert quarter_end(late, "Europe/Kaliningrad") == datetime(2026, 3, 31, 22, tzinfo=UTC)


def test_period_of_an_instant_follows_the_local_date():
    instant = datetime(2026, 3, 1, 15, tzinfo=UTC)  # 2 March 01:00 in Vladivostok
    assert period_of(instant, "Asia/Vladivostok", "week").name == "2026-W10"
    assert period_of(instant, "Europe/Moscow", "week").name == "2026-W09"
    assert period_of(instant, "Europe/Moscow", "month").name == "2026-03"


def test_bounds_by_centre_gives_each_sc_its_own_utc_range():
    centres = pl.DataFrame({"sc_id": ["vvo", "kgd"], "timezone": ["Asia/Vladivostok", "Europe/Kaliningrad"]})
    bounds = bounds_by_centre(parse_period("2026-03"), centres)
    assert bounds.rows() == [
        ("vvo", datetime(2026, 2, 28, 14, tzinfo=UTC), datetime(2026, 3, 31, 14, tzinfo=UTC)),
        ("kgd", datetime(2026, 2, 28, 22, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC)),
    ]
