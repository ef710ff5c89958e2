"""Reporting periods and quarter ends, reckoned in a service centre's own zone (SPEC §11, §12).

Periods are calendar days in the SC's zone: `2026-Q1`, `2026-03` and the ISO week
`2026-W10` each name a half-open local range [start, end) that is turned into UTC per SC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from schemas.errors import PipelineError

_FORMS = (
    (re.compile(r"(\d{4})-Q([1-4])"), "quarter"),
    (re.compile(r"(\d{4})-W(\d{2})"), "week"),
    (re.compile(r"(\d{4})-(\d{2})"), "month"),
)


@dataclass(frozen=True)
class Period:
    """A named range of local calendar days, [first_day, end_day)."""

    name: str
    first_day: date
    end_day: date

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The period's start and end instants (UTC) for an SC in `zone`."""
        tz = ZoneInfo(zone)
        return tuple(  # type: ignore[return-value]
            datetime.combine(day, time(), tz).astimezone(UTC) for day in (self.first_day, self.end_day)
        )

    @property
    def kind(self) -> str:
        """`week`, `month` or `quarter`: the `period_kind` of the metric views (SPEC §12)."""
        return "quarter" if "-Q" in self.name else "week" if "-W" in self.name else "month"

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return period_of_day(self.first_day - timedelta(days=1), self.kind)


def _month_after(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """`2026-Q1`, `2026-03` or `2026-W10`; anything else is a user error that shows the forms."""
    value = text.strip().upper()
    for pattern, form in _FORMS:
        match = pattern.fullmatch(value)
        if match is None:
            continue
        year, number = int(match[1]), int(match[2])
        try:
            if form == "quarter":
                first = date(year, 3 * number - 2, 1)
                return Period(value, first, _month_after(year, 3 * number))
            if form == "month":
                return Period(value, date(year, number, 1), _month_after(year, number))
            first = date.fromisocalendar(year, number, 1)
            return Period(value, first, first + timedelta(days=7))
        except ValueError:
            break
    raise PipelineError(f"period {text!r} is not one of 2026-Q1, 2026-03 or 2026-W10")


def period_of(instant: datetime, zone: str, form: str) -> Period:
    """The quarter, month or ISO week that holds `instant` on the SC's local calendar."""
    return period_of_day(instant.astimezone(ZoneInfo(zone)).date(), form)


def period_of_day(local: date, form: str) -> Period:
    """The quarter, month or ISO week that holds a local calendar day."""
    if form == "quarter":
        return parse_period(f"{local.year}-Q{(local.month - 1) // 3 + 1}")
    if form == "month":
        return parse_period(f"{local.year}-{local.month:02d}")
    year, week, _ = local.isocalendar()
    return parse_period(f"{year}-W{week:02d}")


def quarter_end(instant: datetime, zone: str) -> datetime:
    """§9.1.2: the end of the calendar quarter holding `instant`, in the SC's zone, as UTC."""
    return period_of(instant, zone, "quarter").bounds(zone)[1]


def bounds_by_centre(period: Period, centres: pl.DataFrame) -> pl.DataFrame:
    """(sc_id, starts_at, ends_at) of the period per SC, from (sc_id, timezone). One row per
    SC of the reference data: a handful, so a comprehension is the plain way."""
    rows = [(sc_id, *period.bounds(zone)) for sc_id, zone in centres.select("sc_id", "timezone").iter_rows()]
    utc = pl.Datetime("us", "UTC")
    return pl.DataFrame(rows, schema={"sc_id": pl.String, "starts_at": utc, "ends_at": utc}, orient="row")
