"""Instants the pipeline reasons at: explicit, with an offset, inside the production calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from schemas.errors import PipelineError
from schemas.rules import WORKING_CALENDAR_YEARS

if TYPE_CHECKING:
    import polars as pl

    UTC_US: pl.Datetime  # how every stored instant is typed in frames


def __getattr__(name: str) -> Any:
    """`UTC_US` loads polars when a frame needs it: the instants' checks, which every command
    makes, do without it (a single-lead command never loads polars)."""
    if name == "UTC_US":
        import polars as pl

        return pl.Datetime("us", "UTC")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_in_calendar(when: datetime, *, option: str = "--as-of") -> datetime:
    """Working time exists only where the production calendar does: an instant outside its
    years would give deadlines on a calendar nobody wrote, so it is refused, not guessed."""
    first, last = WORKING_CALENDAR_YEARS[0], WORKING_CALENDAR_YEARS[1] - 1
    year = when.astimezone(UTC).year if when.tzinfo else when.year
    if not first <= year <= last:
        raise PipelineError(
            f"{option} {when.isoformat()} is outside the production calendar's years "
            f"{first}-{last}; give an instant between them"
        )
    return when


def resolve_as_of(as_of: datetime | None) -> datetime:
    """Every flow reasons at an explicit instant; a naive one is refused, not guessed."""
    if as_of is None:
        return datetime.now(UTC)
    if as_of.tzinfo is None:
        raise PipelineError(f"--as-of {as_of.isoformat()} has no UTC offset; add one, e.g. +03:00")
    try:
        in_utc = as_of.astimezone(UTC)
    except OverflowError:
        raise PipelineError(f"--as-of {as_of.isoformat()} is out of range; give a real instant") from None
    return check_in_calendar(in_utc)
