"""Temperature and lead type of validated rows (SPEC §4, §5): pure functions over frames."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from schemas.enums import LeadType, ReasonCode
from schemas.rules import NEW_SALE_GAP_MONTHS, SourceRule

USAGE_SCHEMA = {
    "inn": pl.String,
    "product": pl.String,
    "last_period_end": pl.Datetime("us", "UTC"),
    "active_period": pl.Boolean,
}

# A type asked for explicitly that the client's usage forbids (SPEC §4, §8.2.1).
TYPE_PRECONDITIONS: tuple[tuple[LeadType, str, ReasonCode, str], ...] = (
    (
        LeadType.CONNECTION,
        "new_sale",
        ReasonCode.NOT_NEW_SALE,
        "connection asked for a client that is not a new sale "
        f"(used the product within {NEW_SALE_GAP_MONTHS} months)",
    ),
    (
        LeadType.UPSELL,
        "active_period",
        ReasonCode.NO_ACTIVE_PERIOD,
        "upsell asked for a client without an active paid period",
    ),
)


def classify_rows(
    rows: pl.DataFrame, usage: pl.DataFrame, *, rule: SourceRule, as_of: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Set `temperature`, `lead_type` and `source`; rows whose asked-for type contradicts the
    client's usage go to quarantine. `usage` has one row per (inn, product) with the end of
    the last paid period and whether a period is active at `as_of`."""
    joined = rows.join(usage, on=["inn", "product"], how="left").with_columns(
        pl.col("active_period").fill_null(False),
        new_sale=pl.col("last_period_end").is_null()
        | (pl.col("last_period_end") < pl.lit(as_of).dt.offset_by(f"-{NEW_SALE_GAP_MONTHS}mo")),
    )
    inferred = (
        pl.when(pl.col("new_sale"))
        .then(pl.lit(LeadType.CONNECTION.value))
        .when(pl.col("active_period"))
        .then(pl.lit(LeadType.UPSELL.value))
        .otherwise(pl.lit(LeadType.RENEWAL.value))
    )
    base = pl.lit(rule.base_lead_type.value if rule.base_lead_type else None, pl.String)
    temperature = pl.lit(rule.temperature.value) if rule.temperature else pl.col("temperature")
    reason = pl.lit(None, pl.String)
    detail = pl.lit(None, pl.String)
    for lead_type, allowed, code, text in reversed(TYPE_PRECONDITIONS):
        refused = (pl.col("lead_type") == lead_type.value) & ~pl.col(allowed)
        reason = pl.when(refused).then(pl.lit(code.value)).otherwise(reason)
        detail = pl.when(refused).then(pl.lit(text)).otherwise(detail)
    decided = joined.with_columns(
        reason_code=reason,
        detail=detail,
        lead_type=pl.coalesce(pl.col("lead_type"), base, inferred),
        temperature=temperature,
        source=pl.lit(rule.source),
    )
    quarantined = decided.filter(pl.col("reason_code").is_not_null()).select(
        "row_number", "reason_code", "detail"
    )
    classified = decided.filter(pl.col("reason_code").is_null()).drop(
        "reason_code", "detail", "last_period_end", "active_period", "new_sale"
    )
    return classified, quarantined
