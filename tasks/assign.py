"""Central assignment of new leads to service centres (SPEC §6), deterministic and set-based."""

from __future__ import annotations

import polars as pl

from schemas.enums import BookingKind

BOOKING_RULE = {
    BookingKind.LEAD.value: "booking",
    BookingKind.INVOICE.value: "booking",
    BookingKind.PAID_PERIOD.value: "paid_period",
}
_KIND_ORDER = {kind.value: i for i, kind in enumerate(BookingKind)}


def booked_centres(bookings: pl.DataFrame) -> pl.DataFrame:
    """One SC per client x product from its active bookings: a lead or invoice booking before
    a paid period (§6 rules 1-2), the latest within a kind. Columns: inn, kpp, product,
    sc_id, assigned_by."""
    return (
        bookings.with_columns(order=pl.col("kind").replace_strict(_KIND_ORDER, return_dtype=pl.Int8))
        .sort(["order", "starts_at", "sc_id"], descending=[False, True, False])
        .unique(["inn", "kpp", "product"], keep="first", maintain_order=True)
        .select(
            "inn",
            "kpp",
            "product",
            "sc_id",
            assigned_by=pl.col("kind").replace_strict(BOOKING_RULE, return_dtype=pl.String),
        )
    )


def balance_by_load(leads: pl.DataFrame, eligible: pl.DataFrame, loads: pl.DataFrame) -> pl.DataFrame:
    """§6 rule 3: each lead in turn (by lead_id) goes to the eligible SC of its region x
    product with the lowest open-lead load relative to capacity, ties by SC id.

    Done without a loop: the k-th lead an SC would receive has priority
    (load + k) / capacity, so sorting every SC's candidate slots by priority and dealing them
    to the group's leads in order gives the same result as the one-at-a-time rule. Loads are
    those before the batch; each region x product group is balanced against them."""
    group = ["region", "product"]
    ordered = leads.sort("lead_id").with_columns(slot=pl.int_range(pl.len(), dtype=pl.Int64).over(group))
    sizes = ordered.group_by(group).agg(n=pl.len())
    slots = (
        eligible.join(sizes, on=group)
        .join(loads, on="sc_id", how="left")
        .with_columns(pl.col("open_leads").fill_null(0))
        .with_columns(k=pl.int_ranges(0, pl.col("n"), dtype=pl.Int64))
        .explode("k")
        .with_columns(priority=(pl.col("open_leads") + pl.col("k")) / pl.col("capacity"))
        .sort([*group, "priority", "sc_id"])
        .with_columns(slot=pl.int_range(pl.len(), dtype=pl.Int64).over(group))
        .filter(pl.col("slot") < pl.col("n"))
        .select(*group, "slot", "sc_id")
    )
    return ordered.join(slots, on=[*group, "slot"], how="left").drop("slot")


def assign_service_centres(
    leads: pl.DataFrame, *, booked: pl.DataFrame, eligible: pl.DataFrame, loads: pl.DataFrame
) -> pl.DataFrame:
    """Add `sc_id` and `assigned_by` (booking | paid_period | load | null: no eligible SC,
    the lead waits, §6 rule 4) to `leads` (lead_id, inn, kpp, product, region)."""
    with_booking = leads.join(booked, on=["inn", "kpp", "product"], how="left", nulls_equal=True)
    by_booking = with_booking.filter(pl.col("sc_id").is_not_null())
    by_load = balance_by_load(
        with_booking.filter(pl.col("sc_id").is_null()).drop("sc_id", "assigned_by"),
        eligible,
        loads,
    ).with_columns(assigned_by=pl.when(pl.col("sc_id").is_not_null()).then(pl.lit("load")))
    return pl.concat([by_booking, by_load], how="diagonal_relaxed").sort("lead_id")
