"""Placing leads at service centres, pure: which SC takes them (SPEC §6), their arrival and
deadline there (§10), the connection bookings that makes (§7) and the notices it sends (§8).

One assembly (`place`) for every way a lead reaches an SC: created by a feed, assigned after
waiting for one, transferred after a breach or with its client. The flows read the inputs
and write what it returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from schemas.enums import LeadType, NoticeCause, Status, TransferReason
from schemas.instants import UTC_US
from schemas.rules import CONNECTION_BOOKING
from tasks.assign import LOAD_FIGURES, assign_service_centres, booked_centres, waiting_reasons
from tasks.calendar import add_accept_deadlines
from tasks.notices import plan_notices


@dataclass(frozen=True)
class Placement:
    """Leads put at their SC at one instant, and what that writes besides the leads' rows."""

    leads: pl.DataFrame  # the given columns + timezone, arrived_at, accept_deadline
    bookings: pl.DataFrame  # rows of `bookings` (§7)
    notices: pl.DataFrame  # rows of `notices` (§8)


# The columns of a lead's choice that only the load rule fills (SPEC §14 "Explain"), typed.
_LOAD_FIGURE_TYPES = dict(
    zip(LOAD_FIGURES, (pl.Int64, pl.Float64, pl.String, pl.Int64, pl.Float64), strict=True)
)


def keep_with_creator(leads: pl.DataFrame, sc_id: str) -> pl.DataFrame:
    """SPEC §8.1.3: the leads an SC created itself stay with it."""
    return leads.with_columns(
        sc_id=pl.lit(sc_id),
        assigned_by=pl.lit("sc"),
        waiting_reason=pl.lit(None, pl.String),
        **{name: pl.lit(None, dtype) for name, dtype in _LOAD_FIGURE_TYPES.items()},
    )


def choose_centres(
    leads: pl.DataFrame, *, bookings: pl.DataFrame, offers: pl.DataFrame, loads: pl.DataFrame
) -> pl.DataFrame:
    """Add `sc_id` (empty: no SC can take it yet) and `assigned_by` by the rules of SPEC §6,
    over the client's active bookings, what the SCs offer (the eligible ones are those not
    `excluded`) and their loads; with why: the load rule's figures (`LOAD_FIGURES`) for a
    lead it placed, `waiting_reason` for one no SC took (SPEC §14, §15)."""
    chosen = assign_service_centres(
        leads,
        booked=booked_centres(bookings),
        eligible=offers.filter(~pl.col("excluded")).drop("excluded"),
        loads=loads,
    ).with_columns(pl.col(name).cast(dtype) for name, dtype in _LOAD_FIGURE_TYPES.items())
    reasons = waiting_reasons(chosen.filter(pl.col("sc_id").is_null()), offers)
    return chosen.join(reasons, on="lead_id", how="left", maintain_order="left")


def assignment_detail() -> pl.Expr:
    """The `detail` of an `assigned` event: the SC, the rule that chose it, the deadline it
    set there and, for the load rule, the figures it compared (SPEC §14 "Explain")."""
    return pl.struct(
        pl.col("sc_id"),
        pl.col("assigned_by").alias("rule"),
        pl.col("accept_deadline").dt.to_string("%Y-%m-%dT%H:%M:%S%z").alias("accept_deadline"),
        *LOAD_FIGURES,
    )


def arrive(
    leads: pl.DataFrame,
    as_of: datetime,
    *,
    zones: pl.DataFrame,
    calendar: pl.DataFrame,
    sc_column: str = "sc_id",
) -> pl.DataFrame:
    """Add the zone of the SC in `sc_column`, `arrived_at` = as_of and the deadline there
    (SPEC §10); a lead without an SC keeps both empty."""
    at_centre = leads.join(zones.rename({"sc_id": sc_column}), on=sc_column, how="left").with_columns(
        arrived_at=pl.when(pl.col(sc_column).is_not_null()).then(pl.lit(as_of, UTC_US))
    )
    if at_centre.is_empty():
        return at_centre.with_columns(accept_deadline=pl.lit(None, UTC_US))
    return add_accept_deadlines(at_centre, calendar)


def connection_bookings(assigned: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """SPEC §7: a `connection` lead books client x product at its SC for 30 days."""
    starts = pl.lit(as_of, UTC_US)
    return assigned.filter(
        (pl.col("lead_type") == LeadType.CONNECTION.value)
        & pl.col("inn").is_not_null()
        & pl.col("sc_id").is_not_null()
    ).select(
        "inn",
        "kpp",
        "product",
        "sc_id",
        "lead_id",
        kind=pl.lit("lead"),
        starts_at=starts,
        ends_at=starts + pl.lit(CONNECTION_BOOKING),
    )


def place(
    leads: pl.DataFrame,
    as_of: datetime,
    *,
    zones: pl.DataFrame,
    calendar: pl.DataFrame,
    digest_hour: int,
    cause: NoticeCause = NoticeCause.ASSIGNED,
    sc_column: str = "sc_id",
    notify: bool = True,
) -> Placement:
    """Leads whose SC is in `sc_column` arrive there at `as_of`: their deadline, their
    connection bookings, and the notices to their SC (none when `notify` is off: SPEC §8, an
    SC is not told of the leads it created itself)."""
    arrived = arrive(leads, as_of, zones=zones, calendar=calendar, sc_column=sc_column)
    assigned = arrived.filter(pl.col(sc_column).is_not_null()).with_columns(sc_id=pl.col(sc_column))
    told = assigned if notify else assigned.clear()
    return Placement(
        leads=arrived,
        bookings=connection_bookings(assigned, as_of),
        notices=plan_notices(
            told.select("lead_id", "sc_id", "temperature", "accept_deadline", "timezone"),
            as_of=as_of,
            cause=cause,
            digest_hour=digest_hour,
        ),
    )


# The columns of a lead's connection booking and of its notice that the lead's own row does
# not hold, as `placed_with_bookings_and_notices` adds them (prefixed `booking_`, `notice_`).
BOOKING_EXTRAS = ("kind", "starts_at", "ends_at")
NOTICE_EXTRAS = ("cause", "assigned_at", "channel", "digest_day", "due_at")


def placed_with_bookings_and_notices(placement: Placement) -> pl.DataFrame:
    """The placed leads, each with its connection booking's and its notice's own columns
    (`booking_kind`, …, `notice_due_at`; empty where it has none): one frame a writer takes
    the leads, their bookings and their notices from, instead of three."""
    bookings = placement.bookings.select(
        "lead_id", *(pl.col(c).alias(f"booking_{c}") for c in BOOKING_EXTRAS)
    )
    notices = placement.notices.select("lead_id", *(pl.col(c).alias(f"notice_{c}") for c in NOTICE_EXTRAS))
    return placement.leads.join(bookings, on="lead_id", how="left", maintain_order="left").join(
        notices, on="lead_id", how="left", maintain_order="left"
    )


def tighten_deadlines(merges: pl.DataFrame, calendar: pl.DataFrame) -> pl.DataFrame:
    """SPEC §5.3: lead_id, merged_temperature and `tightened_deadline`, set where a hotter
    row merged into a still-new lead at an SC (its deadline counted afresh from the merge)."""
    tighten = merges.filter(
        pl.col("hotter") & (pl.col("lead_status") == Status.NEW.value) & pl.col("lead_sc_id").is_not_null()
    ).select("lead_id", "arrived_at", "timezone", temperature="merged_temperature")
    tightened = (
        add_accept_deadlines(tighten, calendar)
        if tighten.height
        else tighten.with_columns(accept_deadline=pl.lit(None, UTC_US))
    )
    return merges.join(
        tightened.select("lead_id", tightened_deadline="accept_deadline"), on="lead_id", how="left"
    ).select("lead_id", "merged_temperature", "tightened_deadline")


def transfer(
    moved: pl.DataFrame,
    as_of: datetime,
    *,
    zones: pl.DataFrame,
    calendar: pl.DataFrame,
    digest_hour: int,
    reason: TransferReason,
    sanction_id: int | None = None,
) -> tuple[Placement, pl.DataFrame]:
    """Leads (lead_id, from_sc, to_sc, lead_type, temperature, inn, kpp, product,
    accept_deadline) moved to `to_sc` at `as_of`: their clock starts afresh there (SPEC §10)
    and the new SC is told (a transfer is an assignment for §8). The old deadline is kept in
    `lead_transfers` (the frame returned beside the placement) as the one missed, for a
    breach (§9.1.1) and for a principal's transfer (which may be for one: the breach, if
    recorded, is keyed by it); the placement's `leads` hold it as `missed_deadline`."""
    placement = place(
        moved.rename({"accept_deadline": "missed_deadline"}),
        as_of,
        zones=zones,
        calendar=calendar,
        digest_hour=digest_hour,
        cause=NoticeCause.TRANSFERRED,
        sc_column="to_sc",
    )
    return placement, placement.leads.select(
        "lead_id",
        "from_sc",
        "to_sc",
        transferred_at=pl.lit(as_of, UTC_US),
        reason=pl.lit(reason.value),
        missed_deadline=pl.col("missed_deadline")
        if reason in (TransferReason.BREACH, TransferReason.PRINCIPAL)
        else pl.lit(None, UTC_US),
        sanction_id=pl.lit(sanction_id, pl.Int64),
    )
