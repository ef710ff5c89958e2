"""Rules as data: Appendix 1, SLA terms and the other constants the SPEC fixes, in one place."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib.resources import files

from schemas.enums import BookingKind, Initiator, LeadType, Temperature

DATA = files("schemas") / "data"


@dataclass(frozen=True)
class SlaTerm:
    """How long a lead of one temperature may stay `new` (SPEC §10)."""

    temperature: Temperature
    working_minutes: int | None = None  # counted on the production calendar, SC-local
    calendar: timedelta | None = None  # exact instants: arrived_at + N x 24 h

    @property
    def wording(self) -> str:
        """The term as messages say it: "3 working hours", "7 days"."""
        if self.working_minutes is not None:
            hours, minutes = divmod(self.working_minutes, 60)
            if minutes:
                return _quantity(self.working_minutes, "working minute")
            return _quantity(hours, "working hour")
        assert self.calendar is not None  # calendar terms are whole days (N x 24 h)
        return _quantity(self.calendar.days, "day")


def _quantity(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


SLA_TERMS: dict[Temperature, SlaTerm] = {
    Temperature.HOT: SlaTerm(Temperature.HOT, working_minutes=3 * 60),
    Temperature.WARM: SlaTerm(Temperature.WARM, calendar=timedelta(days=7)),
    Temperature.COLD: SlaTerm(Temperature.COLD, calendar=timedelta(days=30)),
}

WORKDAY_START_MINUTE = 9 * 60  # 09:00 SC-local (SPEC §10)
WORKDAY_MINUTES = 9 * 60  # 09:00-18:00
# The calendar `pp init` writes: the years an --as-of may fall in, and one more, since a hot
# deadline may run into the next year.
WORKING_CALENDAR_YEARS = (2015, 2041)
# The last year whose production calendar is decreed in the `holidays` package pinned in uv.lock
# (0.109): the last year it carries transferred days off ("substituted from …") or working
# Saturdays (`weekend_workdays`) for RU — 2027 has them, 2028 on have none. Russia decrees a
# year's calendar in the autumn before it; raise this with the package once it carries the next.
CALENDAR_CONFIRMED_BY_PACKAGE = 2027
# From this day (month, day) of the last confirmed year, sweeps and the report say that next
# year's calendar is still missing: a decree usually appears in September or October.
CALENDAR_RENEWAL_NOTICE = (10, 1)
CONNECTION_BOOKING = timedelta(days=30)  # SPEC §7: a connection lead books client x product
INVOICE_VALIDITY = timedelta(days=30)  # an invoice without `valid_until` books the client this long
NEW_SALE_GAP_MONTHS = 6  # SPEC §4.1.1: last use ended more than this long ago
# SPEC §6 "Transfer": which leads may move to another SC after a breach, and which bookings
# at the current SC pin a lead there. Settings may narrow the temperatures, never widen them.
TRANSFERABLE: frozenset[Temperature] = frozenset({Temperature.HOT, Temperature.WARM})
PINNING_BOOKINGS: tuple[BookingKind, ...] = (BookingKind.INVOICE, BookingKind.PAID_PERIOD)
HOTTEST_FIRST: tuple[Temperature, ...] = tuple(Temperature)  # SPEC §5.3 merge order
# SPEC §1: the first digit of a Russian national number, after +7 (the numbering plan): 3 and 4
# geographic, 8 non-geographic and toll-free, 9 mobile. +7 7… is Kazakhstan; 0, 1, 2, 5 and 6 are
# not used in Russia.
RUSSIAN_NATIONAL_FIRST_DIGITS: tuple[str, ...] = ("3", "4", "8", "9")


@dataclass(frozen=True)
class SourceRule:
    """One row of Appendix 1 (SPEC §5)."""

    source: str
    basis_ru: str
    initiator: Initiator
    temperature: Temperature | None  # None: chosen by the SC (sc_created)
    base_lead_type: LeadType | None  # the type a base of this source implies (SPEC §4)

    @property
    def requires_inn(self) -> bool:
        """SPEC §1: only client-initiated sources may carry a row without INN."""
        return self.initiator is not Initiator.CLIENT


@cache
def source_rules() -> dict[str, SourceRule]:
    with (DATA / "sources.csv").open(encoding="utf-8") as fh:
        return {
            row["source"]: SourceRule(
                source=row["source"],
                basis_ru=row["basis_ru"],
                initiator=Initiator(row["initiator"]),
                temperature=Temperature(row["temperature"]) if row["temperature"] else None,
                base_lead_type=LeadType(row["base_lead_type"]) if row["base_lead_type"] else None,
            )
            for row in csv.DictReader(fh)
        }
