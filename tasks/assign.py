"""Central assignment of new leads to service centres (SPEC §6), deterministic and set-based."""

from __future__ import annotations

import re

import polars as pl

from schemas.enums import BookingKind, SanctionKind, WaitingReason

# What holds a client x product for an SC, strongest first: a principal's transfer of the
# client (§9.1.4), then the bookings in SPEC §6's order; and the rule each one is recorded as.
BOOKING_RULE = {
    SanctionKind.TRANSFER_CLIENT.value: "sanction",
    BookingKind.LEAD.value: "booking",
    BookingKind.INVOICE.value: "booking",
    BookingKind.PAID_PERIOD.value: "paid_period",
}
_KIND_ORDER = {kind: i for i, kind in enumerate(BOOKING_RULE)}
# What the load rule records of its choice (SPEC §14 "Explain"): see `balance_by_load`.
LOAD_FIGURES = ("sc_open_leads", "sc_capacity", "runner_up_sc", "runner_up_open_leads", "runner_up_capacity")


def booked_centres(bookings: pl.DataFrame) -> pl.DataFrame:
    """One SC per client x product from its active bookings: a sanction's transfer first, a
    lead or invoice booking before a paid period (§6 rules 1-2), the latest within a kind.
    Columns: inn, kpp, product, sc_id, assigned_by."""
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


def balance_by_load(
    leads: pl.DataFrame,
    eligible: pl.DataFrame,
    loads: pl.DataFrame,
    group: tuple[str, ...] = ("region", "product"),
) -> pl.DataFrame:
    """§6 rule 3: each lead in turn (by lead_id) goes to the eligible SC of its region x
    product with the lowest open-lead load relative to capacity, ties by SC id.

    Done without a loop: the k-th lead an SC would receive has priority
    (load + k) / capacity, so sorting every SC's candidate slots by priority and dealing them
    to the group's leads in order gives the same result as the one-at-a-time rule. Loads are
    those before the batch; each group (region x product, and whatever else `group` names
    that `eligible` carries too) is balanced against them.

    Each lead also gets why (SPEC §14 "Explain"): `sc_open_leads` and `sc_capacity` of the SC
    chosen, at the moment it was chosen, and the same of the runner-up (`runner_up_sc`,
    `runner_up_open_leads`, `runner_up_capacity`; null when no other SC was eligible). The
    runner-up is the first slot after the lead's own in the dealing order that belongs to
    another SC: that SC's next slot, so its load then, and the lowest priority after the
    chosen one's."""
    keys = list(group)
    ordered = leads.sort("lead_id").with_columns(slot=pl.int_range(pl.len(), dtype=pl.Int64).over(keys))
    sizes = ordered.group_by(keys).agg(n=pl.len())
    slots = (
        eligible.join(sizes, on=keys)
        .join(loads, on="sc_id", how="left")
        .with_columns(pl.col("open_leads").fill_null(0))
        .with_columns(k=pl.int_ranges(0, pl.col("n"), dtype=pl.Int64))
        .explode("k")
        .with_columns(open_leads=pl.col("open_leads") + pl.col("k"))  # its load when slot k is dealt
        .with_columns(priority=pl.col("open_leads") / pl.col("capacity"))
        .sort([*keys, "priority", "sc_id"])
        .with_columns(
            slot=pl.int_range(pl.len(), dtype=pl.Int64).over(keys),
            run=(pl.col("sc_id") != pl.col("sc_id").shift(1))
            .fill_null(True)
            .cast(pl.Int64)
            .cum_sum()
            .over(keys),
        )
    )
    next_run = slots.unique([*keys, "run"], keep="first", maintain_order=True).select(
        *keys,
        run=pl.col("run") - 1,
        runner_up_sc="sc_id",
        runner_up_open_leads="open_leads",
        runner_up_capacity="capacity",
    )
    dealt = (
        slots.filter(pl.col("slot") < pl.col("n"))
        .join(next_run, on=[*keys, "run"], how="left")
        .select(
            *keys,
            "slot",
            "sc_id",
            pl.col("open_leads").alias("sc_open_leads"),
            pl.col("capacity").alias("sc_capacity"),
            "runner_up_sc",
            "runner_up_open_leads",
            "runner_up_capacity",
        )
    )
    return ordered.join(dealt, on=[*keys, "slot"], how="left").drop("slot")


def choose_transfer_targets(
    candidates: pl.DataFrame, eligible: pl.DataFrame, loads: pl.DataFrame
) -> pl.DataFrame:
    """§6 "Transfer": the SC each overdue lead moves to, by rule 3 among the eligible SCs of
    its region x product that are not `barred` for it (its own SC and those it was taken from
    for a breach). Leads sharing a barred list are balanced together; `to_sc` null: nowhere
    to go, the lead stays."""
    keyed = candidates.with_columns(barred_key=pl.col("barred").list.join(","))
    groups = keyed.select("region", "product", "barred_key", "barred").unique(
        ["region", "product", "barred_key"]
    )
    allowed = (
        groups.join(eligible, on=["region", "product"])
        .filter(~pl.col("barred").list.contains(pl.col("sc_id")))
        .drop("barred")
    )
    placed = balance_by_load(keyed.drop("barred"), allowed, loads, group=("region", "product", "barred_key"))
    return placed.rename({"sc_id": "to_sc"}).drop("barred_key")


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


# SPEC §15: a waiting lead's reason as a sentence, from its code and the lead's columns named
# in braces.
WAITING_WORDING: dict[WaitingReason, str] = {
    WaitingReason.NO_REGION: "the client's region is unknown, so no SC can be chosen",
    WaitingReason.NO_SC_IN_REGION: "no SC serves region {region}",
    WaitingReason.NO_SC_SELLS_PRODUCT: "no SC in region {region} sells {product}",
    WaitingReason.ALL_EXCLUDED: (
        "every eligible SC is excluded: each SC in region {region} selling {product} is excluded "
        "from distribution or has {product} closed"
    ),
}
UNDECIDED = "not decided yet: the next `pp sweep sla` decides it"  # a lead older than the reasons
_FIELD = re.compile(r"\{(\w+)\}")


def waiting_reasons(leads: pl.DataFrame, offers: pl.DataFrame) -> pl.DataFrame:
    """SPEC §6 rule 4, §15: why each of `leads` (lead_id, region, product) that no SC took
    waits, from what the SCs offer (`region, product, sc_id, excluded`): lead_id,
    waiting_reason. Null for a lead some SC could take (it is not waiting for want of one)."""
    served = offers.select("region").unique().with_columns(served=pl.lit(True))
    sold = offers.group_by("region", "product").agg(open=(~pl.col("excluded")).any())
    return (
        leads.select("lead_id", "region", "product")
        .join(served, on="region", how="left")
        .join(sold, on=["region", "product"], how="left")
        .select(
            "lead_id",
            waiting_reason=pl.when(pl.col("region").is_null())
            .then(pl.lit(WaitingReason.NO_REGION.value))
            .when(pl.col("served").is_null())
            .then(pl.lit(WaitingReason.NO_SC_IN_REGION.value))
            .when(pl.col("open").is_null())
            .then(pl.lit(WaitingReason.NO_SC_SELLS_PRODUCT.value))
            .when(~pl.col("open"))
            .then(pl.lit(WaitingReason.ALL_EXCLUDED.value)),
        )
    )


def waiting_sentence(reason: str = "waiting_reason") -> pl.Expr:
    """The sentence of the reason in column `reason`, filled from the row's region and
    product; named `reason`."""
    sentence = pl.lit(UNDECIDED)
    for code, template in WAITING_WORDING.items():
        filled = pl.format(_FIELD.sub("{}", template), *_FIELD.findall(template))
        sentence = pl.when(pl.col(reason) == code.value).then(filled).otherwise(sentence)
    return sentence.alias("reason")
