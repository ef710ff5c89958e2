"""Working-time arithmetic for accept deadlines (SPEC §2, §10), set-based with polars."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import polars as pl

from schemas.enums import Temperature
from schemas.instants import UTC_US
from schemas.rules import SLA_TERMS, WORKDAY_MINUTES, WORKDAY_START_MINUTE

_DAY_SECONDS = WORKDAY_MINUTES * 60
_US = 1_000_000
_WORKDAY_US = _DAY_SECONDS * _US  # working µs in a working day
_CALENDAR_DAY_US = 86_400 * _US
_OPENING_US = WORKDAY_START_MINUTE * 60 * _US  # 09:00 local, µs after midnight
_CALENDAR_SCHEMA = {"day": pl.Date, "is_working": pl.Boolean, "cum_start": pl.Int64}
_OVERRIDE_KINDS = {"holiday": False, "workday": True}


def production_calendar(
    first_year: int, last_year: int, overrides: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Days of the years with working flags and working seconds elapsed before each 09:00.

    `cum_start` turns "N working minutes later" into one addition and one as-of lookup.
    """
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    ru = holidays.country_holidays("RU", years=range(first_year, last_year + 1))
    days = pl.date_range(date(first_year, 1, 1), date(last_year, 12, 31), "1d", eager=True)
    calendar = pl.DataFrame(
        {
            "day": days,
            "is_working": pl.Series([ru.is_working_day(d) for d in days], dtype=pl.Boolean),
        }
    )
    if overrides is not None and overrides.height:
        unknown = set(overrides["kind"].unique().to_list()) - _OVERRIDE_KINDS.keys()
        if unknown:
            raise ValueError(f"unknown override kinds {sorted(map(str, unknown))}")
        forced = (
            overrides.select(
                pl.col("date").cast(pl.Date).alias("day"),
                pl.col("kind").replace_strict(_OVERRIDE_KINDS, return_dtype=pl.Boolean),
            )
            .unique("day", keep="last", maintain_order=True)
            .rename({"kind": "forced"})
        )
        calendar = calendar.join(forced, on="day", how="left", maintain_order="left").select(
            "day", pl.coalesce("forced", "is_working").alias("is_working")
        )
    worked = pl.col("is_working").cast(pl.Int64) * _DAY_SECONDS
    return calendar.with_columns(cum_start=worked.cum_sum() - worked)


def add_accept_deadlines(frame: pl.DataFrame, calendar: pl.DataFrame) -> pl.DataFrame:
    """Add `accept_deadline` (UTC): hot in SC-local working time, warm/cold as exact instants.

    Set-based so that a million leads cost well under a second; rows keep their order.
    """
    temps = frame["temperature"].drop_nulls().unique().to_list()
    unknown = set(temps) - {t.value for t in Temperature}
    if unknown:
        raise ValueError(f"unknown temperatures {sorted(unknown)}")

    indexed = frame.with_row_index("__row")
    arrived = pl.col("arrived_at").cast(UTC_US)
    deadline: pl.Expr = pl.lit(None, dtype=UTC_US)
    for temperature, term in SLA_TERMS.items():
        if term.calendar is not None:
            deadline = (
                pl.when(pl.col("temperature") == temperature.value)
                .then(arrived + term.calendar)
                .otherwise(deadline)
            )

    hot = indexed.filter(
        pl.col("temperature") == Temperature.HOT.value,
        pl.col("arrived_at").is_not_null(),
        pl.col("timezone").is_not_null(),
    ).select("__row", arrived, "timezone")
    if hot.height:
        minutes = SLA_TERMS[Temperature.HOT].working_minutes
        assert minutes is not None
        due = _hot_deadlines(hot, calendar, minutes)
        nulls = pl.repeat(None, frame.height, dtype=UTC_US, eager=True)
        indexed = indexed.with_columns(__hot=nulls.scatter(due["__row"], due["__hot"]))
        deadline = pl.coalesce("__hot", deadline)

    return (
        indexed.with_columns(
            pl.when(pl.col("timezone").is_not_null()).then(deadline).alias("accept_deadline")
        )
        .drop("__row", "__hot", strict=False)
        .select(*[c for c in frame.columns if c != "accept_deadline"], "accept_deadline")
    )


def _constant_offsets(zones: list[str], first: datetime, last: datetime) -> dict[str, int]:
    """Zones whose UTC offset does not change between two instants, with that offset in µs.

    Russia has kept fixed offsets since 2014, so this is the usual case and turns the zone
    conversion into one addition; a zone that changed in between is left out and converted
    by the zone database row by row instead (still vectorized)."""
    constant: dict[str, int] = {}
    days = max((last - first).days, 0) + 2
    for zone in zones:
        info = ZoneInfo(zone)
        offsets = {(first + timedelta(days=i)).astimezone(info).utcoffset() for i in range(days)}
        if len(offsets) == 1:
            offset = offsets.pop()
            assert offset is not None
            constant[zone] = int(offset.total_seconds()) * _US
    return constant


@dataclass(frozen=True)
class _Days:
    """A production calendar as arrays to gather from by day index (days since `first`)."""

    first: date
    last: date
    epoch_day: int  # `first` as days since 1970-01-01
    cum_us: pl.Series  # working µs before each day's 09:00
    is_working: pl.Series
    count: int


def _days(calendar: pl.DataFrame, builder: str) -> _Days:
    calendar = calendar.sort("day")
    if calendar.is_empty():
        raise ValueError(f"the production calendar is empty; build it with {builder}()")
    first, last = calendar["day"][0], calendar["day"][-1]
    return _Days(
        first=first,
        last=last,
        epoch_day=(first - date(1970, 1, 1)).days,
        cum_us=calendar["cum_start"] * _US,
        is_working=calendar["is_working"],
        count=calendar.height,
    )


def _hot_deadlines(hot: pl.DataFrame, calendar: pl.DataFrame, minutes: int) -> pl.DataFrame:
    """`__row` → `__hot`: working-time deadlines for the whole batch at once.

    Integer microseconds throughout. Working day k (0-based) opens after exactly k full
    working days, so the day on which a target of T working µs falls is
    k = (T − 1) // day_length: a gather, no join and no sort."""
    cal = _days(calendar, "production_calendar")
    first_day, last_day = cal.first, cal.last
    epoch_day, cum_us, is_working = cal.epoch_day, cal.cum_us, cal.is_working
    day_us, calendar_day_us, opening = _WORKDAY_US, _CALENDAR_DAY_US, _OPENING_US
    workday_us = calendar.filter("is_working").sort("day")["day"].cast(pl.Datetime("us")).dt.epoch("us")

    earliest, latest = hot["arrived_at"].min(), hot["arrived_at"].max()
    assert isinstance(earliest, datetime)
    assert isinstance(latest, datetime)
    zones = hot["timezone"].unique().sort().to_list()
    fixed = _constant_offsets(zones, earliest, latest + timedelta(days=31))
    offset = pl.col("timezone").replace_strict(fixed, default=None, return_dtype=pl.Int64)
    local_us = pl.col("arrived_at").dt.epoch("us") + offset
    for zone in sorted(set(zones) - fixed.keys()):  # a zone that changed offset in the span
        local_us = (
            pl.when(pl.col("timezone") == zone)
            .then(pl.col("arrived_at").dt.convert_time_zone(zone).dt.replace_time_zone(None).dt.epoch("us"))
            .otherwise(local_us)
        )

    day = pl.col("local_us") // calendar_day_us - epoch_day
    inside = (day >= 0) & (day < cal.count)
    safe_day = pl.when(inside).then(day).otherwise(0)
    since_opening = pl.col("local_us") % calendar_day_us - opening
    worked_today = (
        pl.when(pl.lit(is_working).gather(safe_day)).then(since_opening.clip(0, day_us)).otherwise(0)
    )
    k = (pl.col("target") - 1) // day_us
    due = (
        hot.with_columns(local_us=local_us)
        .with_columns(
            outside=~inside, target=pl.lit(cum_us).gather(safe_day) + worked_today + minutes * 60 * _US
        )
        .with_columns(overrun=k >= workday_us.len())
        .with_columns(k=pl.when("overrun").then(0).otherwise(k))
        .with_columns(
            local_due_us=pl.lit(workday_us).gather("k") + pl.col("target") - pl.col("k") * day_us + opening
        )
    )
    for flag, problem in (
        ("outside", f"is outside the production calendar {first_day}..{last_day}"),
        ("overrun", f"has a deadline past the production calendar's end {last_day}"),
    ):
        bad = due.filter(flag)
        if bad.height:
            local = bad.select(pl.col("local_us").cast(pl.Datetime("us")))["local_us"][0]
            raise ValueError(
                f"hot arrival {local} ({bad['timezone'][0]}, local) {problem}; "
                "give a calendar that covers the arrivals' years and the next one"
            )
    to_utc = (pl.col("local_due_us") - offset).cast(UTC_US)
    for zone in sorted(set(zones) - fixed.keys()):
        to_utc = (
            pl.when(pl.col("timezone") == zone)
            .then(
                pl.col("local_due_us")
                .cast(pl.Datetime("us"))
                .dt.replace_time_zone(zone)
                .dt.convert_time_zone("UTC")
            )
            .otherwise(to_utc)
        )
    return due.select("__row", __hot=to_utc)


def hot_deadline_one(
    arrived_at: datetime,
    timezone: str,
    is_working: Callable[[date], bool],
    minutes: int = 180,
) -> datetime:
    """Reference definition: walk SC-local working days until the minutes are spent."""
    if arrived_at.tzinfo is None:
        raise ValueError("arrived_at must be timezone-aware")
    zone = ZoneInfo(timezone)
    cursor = arrived_at.astimezone(zone).replace(tzinfo=None)
    remaining = timedelta(minutes=minutes)
    opens = time(WORKDAY_START_MINUTE // 60, WORKDAY_START_MINUTE % 60)
    length = timedelta(minutes=WORKDAY_MINUTES)
    day = cursor.date()
    while True:
        if is_working(day):
            open_at = datetime.combine(day, opens)
            close_at = open_at + length
            begin = max(cursor, open_at)
            if begin < close_at:
                if remaining <= close_at - begin:
                    return (begin + remaining).replace(tzinfo=zone).astimezone(UTC)
                remaining -= close_at - begin
        day += timedelta(days=1)
        cursor = datetime.combine(day, time())


def working_minutes_between(
    frame: pl.DataFrame,
    calendar: pl.DataFrame,
    *,
    start: str = "arrived_at",
    end: str = "taken_at",
    alias: str = "working_minutes",
) -> pl.DataFrame:
    """Add `alias`: SC-local working minutes (SPEC §10's working time) from `start` to `end`.

    How long a hot lead really waited (SPEC §12): a lead that arrives on Friday at 17:00 and is
    taken on Monday at 10:00 waited 120 minutes, not 65 hours. Each instant maps to the working
    time elapsed since the calendar's first day (`cum_start` plus the part of its day worked),
    so the answer is one subtraction per row. Null where either instant or the zone is null."""
    cal = _days(calendar, "production_calendar")
    first_day, last_day, epoch_day, cum_us = cal.first, cal.last, cal.epoch_day, cal.cum_us
    day_us, calendar_day_us, opening = _WORKDAY_US, _CALENDAR_DAY_US, _OPENING_US
    zones = frame["timezone"].drop_nulls().unique().sort().to_list()

    def day_and_time(column: str) -> tuple[pl.Expr, pl.Expr]:
        local: pl.Expr = pl.lit(None, dtype=pl.Int64)
        for zone in zones:  # one expression per zone (a handful), each vectorized over its rows
            local = (
                pl.when(pl.col("timezone") == zone)
                .then(pl.col(column).dt.convert_time_zone(zone).dt.replace_time_zone(None).dt.epoch("us"))
                .otherwise(local)
            )
        return local // calendar_day_us - epoch_day, local % calendar_day_us

    days = {column: day_and_time(column) for column in (start, end)}
    indexed = frame.with_columns(
        *(day.alias(f"__day_{column}") for column, (day, _) in days.items()),
        *(clock.alias(f"__clock_{column}") for column, (_, clock) in days.items()),
    )
    for column in (start, end):
        index = indexed[f"__day_{column}"]
        low, high = index.min(), index.max()
        if low is not None and (int(low) < 0 or int(high) >= cal.count):  # type: ignore[arg-type]
            raise ValueError(
                f"{column} runs outside the production calendar {first_day}..{last_day}; "
                "build it over the years of the instants"
            )

    def elapsed(column: str) -> pl.Expr:
        day = pl.col(f"__day_{column}")
        worked = (pl.col(f"__clock_{column}") - opening).clip(0, day_us)
        return pl.lit(cum_us).gather(day) + pl.when(pl.lit(cal.is_working).gather(day)).then(
            worked
        ).otherwise(0)

    return indexed.with_columns(((elapsed(end) - elapsed(start)) / (60 * _US)).alias(alias)).drop(
        [f"__{part}_{column}" for part in ("day", "clock") for column in (start, end)]
    )
