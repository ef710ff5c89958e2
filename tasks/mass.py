"""Mass actions of principals and SCs (SPEC §6.1, §6.2): pure plans over frames."""

from __future__ import annotations

import math

import polars as pl

from schemas.enums import Temperature

DEAL_ORDER = [pl.col("accept_deadline").is_null(), "accept_deadline", "lead_id"]


def deal_to_managers(leads: pl.DataFrame, counts: dict[str, int]) -> pl.DataFrame:
    """§6.1: the most urgent leads first, dealt like cards in the order the managers are
    given, each manager until their count is reached. Returns lead_id, manager_id for the
    leads dealt; a selection smaller than the counts deals what there is. No manager can get
    more than the selection holds, so a count beyond it deals slots only that far."""
    reachable = [min(n, leads.height) for n in counts.values()]
    slots = (
        pl.DataFrame({"manager_id": list(counts), "count": reachable, "turn": range(len(counts))})
        .with_columns(k=pl.int_ranges(0, pl.col("count")))
        .explode("k")
        .drop_nulls("k")
        .sort("k", "turn")
        .with_row_index("slot")
    )
    ordered = leads.sort(DEAL_ORDER).with_row_index("slot")
    return ordered.join(slots, on="slot", how="inner").select("lead_id", "manager_id")


def plan_distribution(leads: pl.DataFrame, days: pl.DataFrame) -> pl.DataFrame:
    """§6.2 on the working days of the period: warm leads on the earliest, cold on the latest,
    an even daily quota ceil(n / working days), and never after the lead's own deadline date
    (SC-local): a lead due on a day off is planned on the last working day before it, one
    already overdue on the first working day.

    `leads` has lead_id, temperature (warm|cold) and deadline_day; `days` every day of the
    period (day, is_working), at least one of them working. Returns lead_id, planned_on."""
    if leads.is_empty():
        return leads.select("lead_id", planned_on=pl.lit(None, pl.Date))
    days = days.sort("day")
    working = days.filter("is_working")["day"]
    quota = math.ceil(leads.height / working.len())
    latest_working = days.select(
        "day", cap=pl.when("is_working").then("day").forward_fill().backward_fill()
    )  # per calendar day: the last working day on or before it (the first, before any)
    warm_first = pl.col("temperature") != Temperature.WARM.value
    return (
        leads.sort([warm_first, "deadline_day", "lead_id"])
        .with_row_index("position")
        .with_columns(
            day=pl.col("deadline_day").clip(days["day"][0], days["day"][-1]).fill_null(days["day"][-1])
        )
        .join(latest_working, on="day", how="left", maintain_order="left")
        .select(
            "lead_id",
            planned_on=pl.min_horizontal(pl.lit(working).gather(pl.col("position") // quota), "cap"),
        )
    )
