"""How far the production calendar is confirmed, and what to say when it runs out (SPEC §10).

Russia decrees each year's calendar in the autumn before it. A year the `holidays` package
has no decree for still gets its fixed public holidays, but no transferred days off and no
working Saturdays: its hot deadlines would be computed on plain weekdays. The rule, once:
a year is confirmed when it is no later than `CALENDAR_CONFIRMED_BY_PACKAGE`, or when the
reference `calendar.csv` has at least one row for it (whoever loads a year's overrides has
read that year's decree). The calendar is confirmed up to the last year of the unbroken run
of confirmed years from its first one."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import polars as pl

from schemas.rules import CALENDAR_CONFIRMED_BY_PACKAGE, CALENDAR_RENEWAL_NOTICE


class CalendarSource(StrEnum):
    """Where a year's working days come from."""

    PACKAGE = "package"  # the decree as the `holidays` package carries it
    REFERENCE = "reference"  # the package's holidays with the reference calendar.csv's overrides
    WEEKDAYS = "weekdays"  # fixed holidays on plain weekdays: no decree known, unconfirmed


SOURCE_WORDING: dict[CalendarSource, str] = {
    CalendarSource.PACKAGE: "holidays package (decreed)",
    CalendarSource.REFERENCE: "reference calendar.csv",
    CalendarSource.WEEKDAYS: "plain weekdays, unconfirmed",
}

YEARS_SCHEMA = {"year": pl.Int32, "source": pl.String, "confirmed": pl.Boolean, "override_days": pl.Int32}


def calendar_years(
    first_year: int,
    last_year: int,
    overrides: pl.DataFrame | None = None,
    *,
    package_confirmed_to: int = CALENDAR_CONFIRMED_BY_PACKAGE,
) -> pl.DataFrame:
    """One row per year of the calendar: its source, whether it is confirmed, and how many
    days the reference calendar.csv (`date`, `kind`) overrides in it."""
    years = pl.DataFrame({"year": pl.int_range(first_year, last_year + 1, dtype=pl.Int32, eager=True)})
    if overrides is not None and overrides.height:
        counted = overrides.group_by(year=pl.col("date").cast(pl.Date).dt.year().cast(pl.Int32)).agg(
            override_days=pl.col("date").n_unique().cast(pl.Int32)
        )
        years = years.join(counted, on="year", how="left", maintain_order="left")
    else:
        years = years.with_columns(override_days=pl.lit(None, pl.Int32))
    by_reference = pl.col("override_days") > 0
    by_package = pl.col("year") <= package_confirmed_to
    return years.with_columns(override_days=pl.col("override_days").fill_null(0)).select(
        "year",
        source=pl.when(by_reference)
        .then(pl.lit(CalendarSource.REFERENCE.value))
        .when(by_package)
        .then(pl.lit(CalendarSource.PACKAGE.value))
        .otherwise(pl.lit(CalendarSource.WEEKDAYS.value)),
        confirmed=by_reference | by_package,
        override_days="override_days",
    )


def confirmed_to(years: pl.DataFrame) -> int | None:
    """The last year of the unbroken run of confirmed years from the calendar's first year
    (None when the first year itself is unconfirmed, or no years are recorded)."""
    if years.is_empty():
        return None
    ordered = years.sort("year")
    gap = ordered.filter(~pl.col("confirmed"))["year"].min()
    if gap is None:
        return int(ordered["year"].max())  # type: ignore[arg-type]
    before = ordered.filter(pl.col("year") < gap)["year"].max()
    return None if before is None else int(before)  # type: ignore[arg-type]


def renewal_warning(as_of: datetime, confirmed_year: int | None) -> str | None:
    """The warning sweeps log and the report shows from `CALENDAR_RENEWAL_NOTICE` of the last
    confirmed year on (the day of `as_of` on its own offset), or None before it."""
    if confirmed_year is None:
        return "the production calendar's confirmed years are not recorded; run `pp init`"
    month, day = CALENDAR_RENEWAL_NOTICE
    if as_of.date() < date(confirmed_year, month, day):
        return None
    return (
        f"the production calendar is confirmed only to {confirmed_year}; "
        f"load {confirmed_year + 1}'s calendar.csv with `pp init --reference DIR`"
    )
