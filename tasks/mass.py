"""Mass actions of principals and SCs (SPEC §6.1, §6.2): pure plans over frames."""

from __future__ import annotations

import math
from datetime import date

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


def plan_distribution(leads: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """§6.2: warm leads on the earliest days, cold on the latest, an even daily quota
    ceil(n / days), and never a day after the lead's own deadline date (SC-local).

    `leads` has lead_id, temperature (warm|cold) and deadline_day; returns lead_id, planned_on."""
    days = (end - start).days + 1
    if leads.is_empty():
        return leads.select("lead_id", planned_on=pl.lit(None, pl.Date))
    quota = math.ceil(leads.height / days)
    warm_first = pl.col("temperature") != Temperature.WARM.value
    ordered = leads.sort([warm_first, "deadline_day", "lead_id"]).with_row_index("position")
    return ordered.select(
        "lead_id",
        planned_on=pl.min_horizontal(
            pl.lit(start) + pl.duration(days=pl.col("position") // quota),
            pl.max_horizontal(pl.col("deadline_day"), pl.lit(start)),
        ),
    )
