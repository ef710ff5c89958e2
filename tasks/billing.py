"""Billing rows (invoices issued and paid, paid service periods): checks, pure over frames."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from schemas.enums import BillingEvent, ReasonCode
from schemas.instants import UTC_US
from schemas.rules import INVOICE_VALIDITY
from tasks.codes import resolve_codes
from tasks.fields import (
    digits_only,
    inn_is_valid,
    kpp_is_valid,
    restore_inn_zero,
    restore_kpp_zero,
    whole_number_text,
)
from tasks.timestamps import parse_instants

INVOICE_EVENTS = (BillingEvent.INVOICE_ISSUED.value, BillingEvent.INVOICE_PAID.value)


def prepare_billing_rows(
    rows: pl.DataFrame,
    *,
    products: pl.DataFrame,
    centres: pl.DataFrame,
    naive_timezone: str,
    as_of: datetime,
) -> pl.DataFrame:
    """Normalised values next to the raw ones: dates as UTC instants (null if unreadable);
    INN and KPP restored as feeds restore them (a `.0` of a numeric cell dropped, a lost
    leading zero put back); product and SC as the reference spells the code (null if the row
    names none), from the `tasks.codes.code_lookup` frames `products` and `centres`: a
    code in any case, a product by its name too."""
    dates = {
        c: parse_instants(rows[c], naive_timezone)
        for c in ("event_at", "valid_until", "period_start", "period_end")
    }
    return rows.with_columns(
        event=pl.col("event").str.to_lowercase(),
        inn=restore_inn_zero(
            digits_only(whole_number_text(pl.col("inn").str.strip_chars())).replace("", None)
        ),
        kpp=restore_kpp_zero(
            whole_number_text(pl.col("kpp").str.strip_chars().str.to_uppercase()).replace("", None)
        ),
        product=resolve_codes(pl.col("product"), products),
        sc_id=resolve_codes(pl.col("sc_id"), centres),
        event_time=pl.when(pl.col("event_at").is_null())
        .then(pl.lit(as_of, UTC_US))
        .otherwise(dates["event_at"]),
        valid_to=dates["valid_until"],
        starts=dates["period_start"],
        ends=dates["period_end"],
    )


def billing_checks(as_of: datetime) -> list[tuple[ReasonCode, pl.Expr, str]]:
    """The quarantine rules of billing rows, in order: the first that fails names the reason."""
    event, is_period = pl.col("event"), pl.col("event") == BillingEvent.PERIOD.value
    return [
        (
            ReasonCode.BAD_EVENT,
            ~event.is_in([e.value for e in BillingEvent]).fill_null(True),
            "event is not invoice_issued, invoice_paid or period",
        ),
        (
            ReasonCode.BAD_INN,
            ~inn_is_valid(pl.col("inn")),
            "INN is missing, not 10/12 digits or fails its check digits",
        ),
        (
            ReasonCode.BAD_KPP,
            pl.col("kpp").is_not_null() & ~kpp_is_valid(pl.col("kpp")).fill_null(False),
            "KPP is not 9 characters NNNNXXNNN",
        ),
        (
            ReasonCode.UNKNOWN_PRODUCT,
            pl.col("product").is_null(),
            "product is missing or not a known product code or name",
        ),
        (
            ReasonCode.UNKNOWN_SC,
            pl.col("sc_id").is_null(),
            "sc_id is missing or not a known service centre",
        ),
        (
            ReasonCode.MISSING_INVOICE,
            event.is_in(INVOICE_EVENTS) & pl.col("invoice_id").is_null(),
            "an invoice event needs invoice_id",
        ),
        (
            ReasonCode.BAD_DATE,
            pl.col("event_time").is_null()
            | (pl.col("event_time") > pl.lit(as_of, UTC_US))
            | (pl.col("valid_until").is_not_null() & pl.col("valid_to").is_null())
            | (
                is_period
                & (
                    pl.col("starts").is_null()
                    | pl.col("ends").is_null()
                    | (pl.col("ends") <= pl.col("starts"))
                )
            ),
            "a date is unreadable or in the future, or a period does not end after it starts",
        ),
    ]


def validate_billing_rows(
    rows: pl.DataFrame,
    *,
    products: pl.DataFrame,
    centres: pl.DataFrame,
    naive_timezone: str,
    as_of: datetime,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split billing rows into (valid, quarantined[row_number, reason_code, detail]); valid rows
    carry the reference's own product and SC codes."""
    prepared = prepare_billing_rows(
        rows, products=products, centres=centres, naive_timezone=naive_timezone, as_of=as_of
    )
    checks = billing_checks(as_of)
    reason = pl.coalesce([pl.when(failed).then(pl.lit(code.value)) for code, failed, _ in checks])
    detail = pl.coalesce([pl.when(failed).then(pl.lit(text)) for _, failed, text in checks])
    decided = prepared.with_columns(reason_code=reason, detail=detail)
    quarantined = decided.filter(pl.col("reason_code").is_not_null()).select(
        "row_number", "reason_code", "detail"
    )
    valid = decided.filter(pl.col("reason_code").is_null()).select(
        "row_number",
        "event",
        "invoice_id",
        "inn",
        "kpp",
        "product",
        "sc_id",
        event_at="event_time",
        valid_until=pl.coalesce("valid_to", pl.col("event_time") + pl.lit(INVOICE_VALIDITY)),
        period_start="starts",
        period_end="ends",
    )
    return valid, quarantined
